package identity

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Ending a device's sign-in must hold against the password the browser
// saved: the proxy's next request from that device carries the same
// credentials, and accepting them would sign the person straight back
// in. So an ended sign-in leaves a mark (address, person) lasting the
// session's length from the moment it was ended: until then the proxy
// refuses that person's credentials from that address (407, saying why),
// while anyone else may log in there at once and the person may log in
// on any other device. The marks live beside the sessions, in memory, as
// the sessions do; a restart clears both.

// ErrSignInEnded is a person's credentials from a device whose sign-in
// staff ended, before the end has run its course.
var ErrSignInEnded = errors.New("this device's sign-in was ended by staff")

// SignInEndedError says until when the end holds.
type SignInEndedError struct{ Until time.Time }

func (e *SignInEndedError) Error() string {
	return fmt.Sprintf("%v until %s", ErrSignInEnded, e.Until.Format(time.RFC3339))
}

func (e *SignInEndedError) Unwrap() error { return ErrSignInEnded }

// endedKey is one ended sign-in.
type endedKey struct {
	ip   netip.Addr
	user string
}

// endHeld marks x's sign-in from ip as ended, for its length from now
// (the caller holds the lock).
func (s *Sessions) endHeld(ip netip.Addr, x session, now time.Time) {
	ttl := x.ttl
	if ttl <= 0 {
		ttl = x.until.Sub(x.since)
	}
	s.ended[endedKey{ip: ip, user: x.user}] = now.Add(ttl)
}

// Ended returns a *SignInEndedError when user's sign-in from ip was ended
// and the end still holds, else nil.
func (s *Sessions) Ended(ip netip.Addr, user string) error {
	s.mu.RLock()
	until, ok := s.ended[endedKey{ip: ip.Unmap(), user: user}]
	s.mu.RUnlock()
	if !ok || !s.now().Before(until) {
		return nil
	}
	return &SignInEndedError{Until: until}
}
