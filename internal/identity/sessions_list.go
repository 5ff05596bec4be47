package identity

import (
	"net/netip"
	"slices"
	"time"
)

// DeviceSession is one device signed in: its address, the person, when
// they signed in and until when the session holds.
type DeviceSession struct {
	Addr  netip.Addr
	User  string
	Since time.Time
	Until time.Time
	// Portal is set for a sign-in on the portal page (not a proxy log-in).
	Portal bool
}

// List returns the current sessions (expired ones left out), copied under
// the lock and sorted by address.
func (s *Sessions) List() []DeviceSession {
	now := s.now()
	s.mu.RLock()
	out := make([]DeviceSession, 0, len(s.m))
	for ip, x := range s.m {
		if x.live(now) {
			out = append(out, DeviceSession{Addr: ip, User: x.user, Since: x.since, Until: x.until, Portal: x.portal})
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b DeviceSession) int { return a.Addr.Compare(b.Addr) })
	return out
}

// End ends the session from ip and says whose it was; ok is false when
// no current session was held (an expired one is dropped all the same).
// The end holds: that person's credentials from ip are refused for the
// session's length from now (sessions_ended.go), whatever the browser
// saved.
func (s *Sessions) End(ip netip.Addr) (user string, ok bool) {
	ip = ip.Unmap()
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	x, held := s.m[ip]
	if !held {
		return "", false
	}
	delete(s.m, ip)
	if !x.live(now) {
		return "", false
	}
	s.endHeld(ip, x, now)
	return x.user, true
}

// EndUser ends every session of user (a person disabled) and returns the
// addresses it ended, sorted.
func (s *Sessions) EndUser(user string) []netip.Addr {
	var ended []netip.Addr
	s.mu.Lock()
	for ip, x := range s.m {
		if x.user == user {
			delete(s.m, ip)
			s.endHeld(ip, x, s.now())
			ended = append(ended, ip)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(ended, netip.Addr.Compare)
	return ended
}
