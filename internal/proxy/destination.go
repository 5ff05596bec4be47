package proxy

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"

	"schoolgate/internal/activity"
)

// The destination guard keeps the proxy from reaching the machine it runs
// on, as Squid's to_localhost rule does: without it a pupil could read the
// admin listener's /metrics, the block page's forms or any local service
// through http://127.0.0.1:PORT/, 0.0.0.0, [::ffff:127.0.0.1], a name
// that resolves to loopback, or the machine's own LAN address, and cloud
// metadata through link-local 169.254.169.254. It checks the address
// actually dialled (after DNS and proxy.hosts, in the dialer's Control
// hook), so HTTP, CONNECT and inspected HTTPS are all covered and a name
// cannot rebind past it. proxy.allow_destinations exempts ranges.

// errDestination is a dial the destination guard refused; the error is a
// *destinationError carrying the reason.
var errDestination = errors.New("proxy: destination refused")

// destinationError names why an address was refused.
type destinationError struct {
	reason string // loopback, link-local, unspecified, own-address, own-listener, unknown
}

func (e *destinationError) Error() string { return "proxy: destination refused: " + e.reason }
func (e *destinationError) Unwrap() error { return errDestination }

// destRule is the activity log's rule for a refused destination.
func destRule(err error) string {
	var de *destinationError
	if errors.As(err, &de) {
		return "destination:" + de.reason
	}
	return "destination"
}

// destGuard is the compiled guard: the exempt ranges and the machine's
// own addresses, read at start and on every reload, and Schoolgate's own
// listeners (proxy, block page, admin, DNS over TCP) as the policy file
// names them, which stay refused even inside allow_destinations: an
// exemption for an intranet site on this machine must not open /metrics.
type destGuard struct {
	allow     []netip.Prefix
	own       map[netip.Addr]bool
	listeners []netip.AddrPort // an unspecified address: every local one
}

// newDestGuard enumerates the machine's interface addresses. If they
// cannot be read the guard still refuses loopback, link-local and
// unspecified, and says so.
func newDestGuard(allow []netip.Prefix, log *slog.Logger) *destGuard {
	g := &destGuard{allow: allow, own: map[netip.Addr]bool{}}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		log.Warn("proxy: cannot list this machine's addresses; only loopback, link-local and unspecified destinations are refused", "err", err)
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			g.own[p.Addr().Unmap().WithZone("")] = true
		}
	}
	return g
}

// checkAddrPort judges an address and port to dial: Schoolgate's own
// listeners always refused, then the address by check.
func (g *destGuard) checkAddrPort(ap netip.AddrPort, bound []netip.AddrPort) error {
	if g.isListener(ap, bound) {
		return &destinationError{reason: "own-listener"}
	}
	return g.check(ap.Addr())
}

// check returns nil when a may be dialled, else a *destinationError.
// IPv4 addresses written in IPv6 (mapped, compatible, NAT64) are judged
// as the IPv4 address they carry, as well as themselves.
func (g *destGuard) check(a netip.Addr) error {
	a = a.Unmap().WithZone("")
	for _, p := range g.allow {
		if p.Contains(a) {
			return nil
		}
	}
	if r := g.reason(a); r != "" {
		return &destinationError{reason: r}
	}
	if v4, ok := embeddedIPv4(a); ok {
		if r := g.reason(v4); r != "" {
			return &destinationError{reason: r}
		}
	}
	return nil
}

func (g *destGuard) reason(a netip.Addr) string {
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsUnspecified(), a.Is4() && a.As4()[0] == 0: // 0.0.0.0/8 is "this host"
		return "unspecified"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "link-local"
	case g.own[a]:
		return "own-address"
	}
	return ""
}

// nat64 is the well-known NAT64 prefix (RFC 6052).
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// embeddedIPv4 returns the IPv4 address an IPv6 address carries in its
// last 32 bits when it is IPv4-compatible (::a.b.c.d, deprecated but
// still routed by some stacks) or NAT64.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	compat := true
	for _, x := range b[:12] {
		if x != 0 {
			compat = false
			break
		}
	}
	if !compat && !nat64.Contains(a) {
		return netip.Addr{}, false
	}
	v4 := netip.AddrFrom4([4]byte(b[12:]))
	if compat && (v4.As4() == [4]byte{0, 0, 0, 0} || v4.As4() == [4]byte{0, 0, 0, 1}) {
		return netip.Addr{}, false // :: and ::1, judged as themselves
	}
	return v4, true
}

// checkAddr judges a dialled "ip:port" (the dialer's Control hook, or a
// test dialer's remote address); one that does not parse is refused.
func (g *destGuard) checkAddr(address string, bound []netip.AddrPort) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &destinationError{reason: "unknown"}
	}
	return g.checkAddrPort(ap, bound)
}

// refuseDestination answers 403 to a request or tunnel whose destination
// the guard refused, after the policy allowed it: the activity event
// becomes a block with the guard's rule and a reference, and the system
// log keeps only the reference and the rule.
func (c *conn) refuseDestination(req *http.Request, ev *activity.Event, err error) bool {
	ref := newRef()
	ev.Verdict, ev.Rule, ev.Ref = "block", destRule(err), ref
	c.s.d.Activity.Log(*ev)
	c.s.m.failed(errDestinationRefused)
	c.s.d.Log.Warn("proxy: destination refused", "ref", ref, "rule", ev.Rule)
	return c.writeSimple(closing(req), http.StatusForbidden, "The filter does not reach this server's own services or private link addresses (reference "+ref+").", nil)
}
