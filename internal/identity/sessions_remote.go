package identity

import (
	"net/netip"
	"time"
)

// EndFrom applies a sign-in ended on another node of the school: user's
// session from ip ends here too (if it is theirs), and their credentials
// from ip are refused until until, as if it had been ended here. Applying
// it again changes nothing.
func (s *Sessions) EndFrom(ip netip.Addr, user string, until time.Time) {
	ip = ip.Unmap()
	if !s.now().Before(until) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if x, ok := s.m[ip]; ok && x.user == user {
		delete(s.m, ip)
	}
	k := endedKey{ip: ip, user: user}
	if until.After(s.ended[k]) {
		s.ended[k] = until
	}
}
