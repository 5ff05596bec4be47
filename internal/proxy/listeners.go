package proxy

import (
	"net"
	"net/netip"
	"strconv"
)

// Schoolgate's own listeners are refused as destinations even inside
// proxy.allow_destinations (destination.go): those the policy file names,
// and those the proxy was given to serve on.

// configListeners are the listen addresses of the policy file, except
// port 0 (tests: the proxy adds the port it was given). A host name
// counts as every local address.
func configListeners(addrs ...string) []netip.AddrPort {
	var out []netip.AddrPort
	for _, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil || p == 0 {
			continue
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			ip = netip.IPv6Unspecified()
		}
		out = append(out, netip.AddrPortFrom(ip.Unmap().WithZone(""), uint16(p)))
	}
	return out
}

// isListener reports whether ap is one of Schoolgate's own listeners (of
// the policy file, or bound by the proxy).
func (g *destGuard) isListener(ap netip.AddrPort, bound []netip.AddrPort) bool {
	a := ap.Addr().Unmap().WithZone("")
	local := a.IsLoopback() || a.IsUnspecified() || g.own[a]
	for _, set := range [][]netip.AddrPort{g.listeners, bound} {
		for _, l := range set {
			if l.Port() != ap.Port() {
				continue
			}
			if l.Addr() == a || local && (l.Addr().IsUnspecified() || a.IsUnspecified()) {
				return true
			}
		}
	}
	return false
}

// bound are the addresses the proxy is serving on (Serve), for the guard.
func (s *Server) bound() []netip.AddrPort {
	if b := s.listening.Load(); b != nil {
		return *b
	}
	return nil
}

// addBound records a listener the proxy serves on.
func (s *Server) addBound(a net.Addr) {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := append(append([]netip.AddrPort(nil), s.bound()...), netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
	s.listening.Store(&l)
}
