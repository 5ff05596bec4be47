package dnsfilter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"syscall"
	"time"
)

// bind opens a UDP socket and a TCP listener on every address.
func (s *Server) bind(addrs []string) error {
	for _, a := range addrs {
		ua, err := net.ResolveUDPAddr("udp", a)
		if err != nil {
			return fmt.Errorf("%w: dns.listen %q: %w", ErrListen, a, err)
		}
		uc, tl, err := bindPair(ua)
		if err != nil {
			return bindErr(a, err)
		}
		s.udp = append(s.udp, uc)
		s.tcp = append(s.tcp, s.tcpLimits.Wrap(tl))
		s.sizeBuffers(uc)
	}
	return nil
}

// bindTries bounds the retries when the system picked a UDP port (port
// 0) whose TCP twin another process holds.
const bindTries = 20

// bindPair binds UDP at ua and TCP on the same port (which the system
// chooses when ua's port is 0).
func bindPair(ua *net.UDPAddr) (*net.UDPConn, *net.TCPListener, error) {
	for try := 1; ; try++ {
		uc, err := net.ListenUDP("udp", ua)
		if err != nil {
			return nil, nil, err
		}
		ta := &net.TCPAddr{IP: ua.IP, Port: uc.LocalAddr().(*net.UDPAddr).Port, Zone: ua.Zone}
		tl, err := net.ListenTCP("tcp", ta)
		if err == nil {
			return uc, tl, nil
		}
		uc.Close()
		if ua.Port != 0 || !errors.Is(err, syscall.EADDRINUSE) || try == bindTries {
			return nil, nil, err
		}
	}
}

// udpBuffer is the socket buffer asked for each UDP listener. The
// default (~200 KB, a few hundred small datagrams) overflows when a burst
// arrives while the readers are descheduled, and every query dropped
// there costs its client a retry timeout. The kernel caps the request at
// net.core.rmem_max / wmem_max.
const udpBuffer = 4 << 20

func (s *Server) sizeBuffers(c *net.UDPConn) {
	if err := c.SetReadBuffer(udpBuffer); err != nil {
		s.log.Debug("dns: cannot size the UDP receive buffer", "err", err)
	}
	if err := c.SetWriteBuffer(udpBuffer); err != nil {
		s.log.Debug("dns: cannot size the UDP send buffer", "err", err)
	}
}

func bindErr(addr string, err error) error {
	if errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("%w: dns.listen %q: %w: ports below 1024 need privileges: run as root, grant the binary CAP_NET_BIND_SERVICE (setcap cap_net_bind_service=+ep schoolgate), or use a high port such as 5353", ErrListen, addr, err)
	}
	return fmt.Errorf("%w: dns.listen %q: %w", ErrListen, addr, err)
}

func (s *Server) closeListeners() {
	for _, c := range s.udp {
		c.Close()
	}
	for _, l := range s.tcp {
		l.Close()
	}
}

// udpReaders is how many goroutines read each UDP socket: one per CPU, so
// that cache hits and blocks are answered without a goroutine per query.
func udpReaders() int { return max(1, runtime.GOMAXPROCS(0)) }

// serve runs the chain; a stage that must block parks the request on a
// new goroutine, which resumes the chain at that stage.
func (s *Server) serve(r *request) {
	if s.runChain(r) == park {
		s.resume(r)
		return
	}
	s.respond(r)
}

// resume finishes a parked request on a goroutine of its own, which
// answers it alone and recycles it. The goroutine then waits a while for
// the next parked request: under a stream of cache misses, goroutines (and
// their grown stacks) are reused instead of made per miss.
func (s *Server) resume(r *request) {
	s.inflight.Add(1)
	select {
	case s.parked <- r: // an idle one took it
	default:
		go s.runParked(r)
	}
}

// parkedIdle is how long a goroutine that finished a parked request waits
// for another before it exits.
const parkedIdle = 5 * time.Second

func (s *Server) runParked(r *request) {
	idle := time.NewTimer(parkedIdle)
	defer idle.Stop()
	for {
		r.mayBlock = true
		s.runChain(r)
		s.respond(r)
		s.inflight.Done()
		idle.Reset(parkedIdle)
		select {
		case r = <-s.parked:
		case <-idle.C:
			return
		case <-s.stopped:
			return
		}
	}
}

// runChain runs the stages from r.at until one answers or parks.
func (s *Server) runChain(r *request) action {
	for r.at < len(s.chain) {
		switch s.chain[r.at].run(s, r) {
		case done:
			return done
		case park:
			if !r.mayBlock {
				return park
			}
		default:
			r.at++
		}
	}
	return done
}

// respond counts and logs the answer, sends it (if any) and recycles r.
// A client that has its answer finds its query in the activity log.
func (s *Server) respond(r *request) {
	s.finish(r)
	if len(r.out) > 0 && r.udp != nil {
		_, _ = r.udp.WriteToUDPAddrPort(r.out, r.client)
	}
	s.putRequest(r)
}

// TCP limits (RFC 7766): idle connections are closed after tcpIdle;
// without Options.TCPGuard, connections beyond maxTCPConns are refused
// (and beyond netguard.DefaultPerClient from one address).
const (
	tcpIdle     = 10 * time.Second
	maxTCPConns = 512
)

// serveTCP serves the connections its guarded listener admits (the guard
// caps them and retries failed accepts) until the listener is closed.
func (s *Server) serveTCP(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.inflight.Add(1)
		s.tcpConns.Store(c, struct{}{})
		go func() {
			defer s.inflight.Done()
			defer s.tcpConns.Delete(c)
			defer c.Close()
			s.serveConn(c)
		}()
	}
}

// serveConn answers length-prefixed queries on one connection in turn.
func (s *Server) serveConn(c net.Conn) {
	client := c.RemoteAddr().(*net.TCPAddr).AddrPort()
	var buf []byte // as big as the largest query yet (most are small)
	var hdr [2]byte
	for !s.closing.Load() {
		c.SetReadDeadline(time.Now().Add(tcpIdle))
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(hdr[:]))
		if n > len(buf) {
			buf = make([]byte, max(n, 512))
		}
		if _, err := io.ReadFull(c, buf[:n]); err != nil {
			return
		}
		r := s.getRequest()
		r.raw, r.client, r.tcp, r.mayBlock = buf[:n], client, true, true
		s.begin(r)
		s.runChain(r)
		if len(r.out) == 0 { // dropped: close, as a UDP client would time out
			s.finish(r)
			s.putRequest(r)
			return
		}
		out := make([]byte, 2, 2+len(r.out))
		binary.BigEndian.PutUint16(out, uint16(len(r.out)))
		out = append(out, r.out...)
		s.finish(r)
		c.SetWriteDeadline(time.Now().Add(tcpIdle))
		_, err := c.Write(out)
		s.putRequest(r)
		if err != nil {
			return
		}
	}
}
