package dnsfilter

import (
	"errors"
	"net"
	"syscall"
)

// serveUDPEach reads one datagram at a time and answers it on the reading
// goroutine; only queries that must wait on an upstream move to a
// goroutine of their own. It is the portable reader (see serveUDP).
func (s *Server) serveUDPEach(c *net.UDPConn) {
	for {
		r := s.getRequest()
		n, _, flags, addr, err := c.ReadMsgUDPAddrPort(r.in, nil)
		if err != nil {
			s.putRequest(r)
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		r.raw, r.client, r.udp = r.in[:n], addr, c
		r.oversize = flags&syscall.MSG_TRUNC != 0
		s.begin(r)
		s.serve(r)
	}
}
