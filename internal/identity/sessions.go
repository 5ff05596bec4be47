package identity

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Sessions maps client IPs to the user who last logged in from them, for a
// limited time. It is safe for concurrent use.
type Sessions struct {
	mu  sync.RWMutex
	m   map[netip.Addr]session
	now Clock
	// ended holds the sign-ins staff ended (sessions_ended.go): that
	// person's credentials from that address are refused until then.
	ended map[endedKey]time.Time
}

type session struct {
	user  string
	since time.Time
	until time.Time
	ttl   time.Duration
	// A portal sign-in (sessions_portal.go): idle > 0 ends it after that
	// long without a lookup; seen holds the last lookup (UnixNano).
	portal bool
	idle   time.Duration
	seen   *atomic.Int64
}

// NewSessions makes an empty session map. now may be nil (time.Now).
func NewSessions(now Clock) *Sessions {
	if now == nil {
		now = time.Now
	}
	return &Sessions{m: map[netip.Addr]session{}, now: now, ended: map[endedKey]time.Time{}}
}

// Set records that user logged in from ip, for ttl. A renewal of the
// same user's current session (the proxy renews it while the browser
// keeps sending the password) keeps when it began.
func (s *Sessions) Set(ip netip.Addr, user string, ttl time.Duration) {
	ip = ip.Unmap()
	now := s.now()
	s.mu.Lock()
	since := now
	if x, ok := s.m[ip]; ok && x.user == user && now.Before(x.until) {
		since = x.since
	}
	s.m[ip] = session{user: user, since: since, until: now.Add(ttl), ttl: ttl}
	s.mu.Unlock()
}

// Lookup returns the user logged in from ip, if the session is current.
func (s *Sessions) Lookup(ip netip.Addr) (string, bool) {
	s.mu.RLock()
	x, ok := s.m[ip.Unmap()]
	s.mu.RUnlock()
	if !ok {
		return "", false
	}
	now := s.now()
	if !x.live(now) {
		return "", false
	}
	if x.seen != nil {
		x.seen.Store(now.UnixNano())
	}
	return x.user, true
}

// Delete ends the session from ip.
func (s *Sessions) Delete(ip netip.Addr) {
	s.mu.Lock()
	delete(s.m, ip.Unmap())
	s.mu.Unlock()
}

// Sweep drops expired sessions; serve calls it periodically.
func (s *Sessions) Sweep() int {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for ip, x := range s.m {
		if !x.live(now) {
			delete(s.m, ip)
			n++
		}
	}
	for k, until := range s.ended {
		if !now.Before(until) {
			delete(s.ended, k)
		}
	}
	return n
}

// Len is the number of sessions held.
func (s *Sessions) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}
