package identity

import (
	"net/netip"
	"sync/atomic"
	"time"
)

// A portal sign-in (the sign-in page on blockpage.listen) maps the
// device's address to the person exactly as a proxy log-in does, so DNS,
// the proxy and the block page all see that person. It differs in two
// ways: it ends at a fixed time (identity.portal_session, or the end of
// the school day) rather than being renewed by each request, and a staff
// member's ends early when the device has been idle.

// SetPortal records a portal sign-in of user from ip until until; idle >
// 0 also ends it after that long without a lookup (a query from the
// device). It replaces whatever session the address had.
func (s *Sessions) SetPortal(ip netip.Addr, user string, until time.Time, idle time.Duration) {
	ip = ip.Unmap()
	now := s.now()
	x := session{user: user, since: now, until: until, ttl: until.Sub(now), portal: true, idle: idle}
	if idle > 0 {
		x.seen = new(atomic.Int64)
		x.seen.Store(now.UnixNano())
	}
	s.mu.Lock()
	s.m[ip] = x
	s.mu.Unlock()
}

// SignOut ends the session from ip at the person's own asking (the
// portal page's Sign out): unlike End, nothing holds them out afterwards.
// It says whose session it was.
func (s *Sessions) SignOut(ip netip.Addr) (user string, ok bool) {
	ip = ip.Unmap()
	s.mu.Lock()
	defer s.mu.Unlock()
	x, held := s.m[ip]
	delete(s.m, ip)
	if !held || !x.live(s.now()) {
		return "", false
	}
	return x.user, true
}

// live reports whether the session still holds at now: before its end,
// and for an idle-limited one, looked up within its idle time.
func (x *session) live(now time.Time) bool {
	if !now.Before(x.until) {
		return false
	}
	if x.idle > 0 && x.seen != nil && now.Sub(time.Unix(0, x.seen.Load())) >= x.idle {
		return false
	}
	return true
}
