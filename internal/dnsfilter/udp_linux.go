//go:build linux

package dnsfilter

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpBatch is how many datagrams a reader takes with one recvmmsg(2), and
// at most how many answers it sends with one sendmmsg(2). Under load the
// socket holds many queries at once: a system call per batch instead of
// two per query is most of the resolver's speed on a busy network.
const udpBatch = 32

// batch is one UDP reader's buffers, kept for the reader's life so that
// the hot path allocates nothing. reqs[i] receives datagram i; sent[j] is
// the request whose answer is datagram j of the send.
type batch struct {
	reqs  [udpBatch]*request
	names [udpBatch]unix.RawSockaddrInet6 // big enough for IPv4 too
	iovs  [udpBatch]unix.Iovec
	hdrs  [udpBatch]unix.Mmsghdr
	oiovs [udpBatch]unix.Iovec
	ohdrs [udpBatch]unix.Mmsghdr
	sent  [udpBatch]*request
}

// serveUDP reads queries in batches and answers them on the reading
// goroutine, one batched send per batch read; only queries that must wait
// on an upstream move to a goroutine of their own (and answer alone).
func (s *Server) serveUDP(c *net.UDPConn) {
	rc, err := c.SyscallConn()
	if err != nil {
		s.serveUDPEach(c)
		return
	}
	b := new(batch)
	defer func() {
		for _, r := range b.reqs {
			if r != nil {
				s.putRequest(r)
			}
		}
	}()
	for {
		b.arm(s)
		n, err := recvBatch(rc, b.hdrs[:])
		if err != nil {
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		clk := s.readClock()
		m := 0
		for i := range n {
			h := &b.hdrs[i]
			addr, ok := sockaddrPort(&b.names[i])
			if !ok {
				continue // not an IP peer: ignore, keep the request
			}
			r := b.reqs[i]
			r.raw, r.client, r.udp = r.in[:h.Len], addr, c
			r.oversize = h.Hdr.Flags&unix.MSG_TRUNC != 0
			r.beginAt(&clk)
			if s.runChain(r) == park {
				b.reqs[i] = nil // the parked goroutine owns it now
				s.resume(r)
				continue
			}
			if len(r.out) == 0 { // dropped: no answer
				s.finishAt(r, clk.start)
				r.recycle()
				continue
			}
			b.oiovs[m] = unix.Iovec{Base: &r.out[0]}
			b.oiovs[m].SetLen(len(r.out))
			oh := &b.ohdrs[m].Hdr
			*oh = unix.Msghdr{Name: h.Hdr.Name, Namelen: h.Hdr.Namelen, Iov: &b.oiovs[m]}
			oh.SetIovlen(1)
			b.sent[m] = r
			m++
		}
		// Logged before answered, as in respond.
		end := time.Now()
		for _, r := range b.sent[:m] {
			s.finishAt(r, end)
		}
		sendBatch(rc, b.ohdrs[:m])
		for j, r := range b.sent[:m] {
			r.recycle()
			b.sent[j] = nil
		}
	}
}

// arm points every receive header at its request's buffer.
func (b *batch) arm(s *Server) {
	for i := range b.reqs {
		if b.reqs[i] == nil {
			b.reqs[i] = s.getRequest()
		}
		in := b.reqs[i].in
		b.iovs[i] = unix.Iovec{Base: &in[0]}
		b.iovs[i].SetLen(len(in))
		h := &b.hdrs[i]
		h.Len = 0
		h.Hdr = unix.Msghdr{
			Name:    (*byte)(unsafe.Pointer(&b.names[i])),
			Namelen: unix.SizeofSockaddrInet6,
			Iov:     &b.iovs[i],
		}
		h.Hdr.SetIovlen(1)
	}
}

// recvBatch receives up to len(hdrs) datagrams, waiting in the runtime's
// poller (not in the kernel) while the socket is empty.
func recvBatch(rc syscall.RawConn, hdrs []unix.Mmsghdr) (int, error) {
	var n int
	var errno syscall.Errno
	err := rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)), 0, 0, 0)
			if e == unix.EINTR {
				continue
			}
			n, errno = int(r), e
			return e != unix.EAGAIN
		}
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, errno
	}
	return n, nil
}

// sendBatch sends every message in hdrs. A datagram the kernel refuses
// (say, to an unreachable address) is skipped, as if lost on the way.
func sendBatch(rc syscall.RawConn, hdrs []unix.Mmsghdr) {
	if len(hdrs) == 0 {
		return
	}
	_ = rc.Write(func(fd uintptr) bool {
		for len(hdrs) > 0 {
			r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)), 0, 0, 0)
			switch {
			case e == unix.EAGAIN:
				return false // the send buffer is full: wait in the poller
			case e == unix.EINTR:
			case e != 0 || r == 0:
				hdrs = hdrs[1:]
			default:
				hdrs = hdrs[min(int(r), len(hdrs)):]
			}
		}
		return true
	})
}

// sockaddrPort reads a sockaddr_in or sockaddr_in6 filled in by the
// kernel.
func sockaddrPort(sa *unix.RawSockaddrInet6) (netip.AddrPort, bool) {
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), netPort(sa4.Port)), true
	case unix.AF_INET6:
		a := netip.AddrFrom16(sa.Addr)
		if sa.Scope_id != 0 {
			a = a.WithZone(strconv.FormatUint(uint64(sa.Scope_id), 10))
		}
		return netip.AddrPortFrom(a, netPort(sa.Port)), true
	}
	return netip.AddrPort{}, false
}

// netPort reads a port stored in network byte order.
func netPort(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}
