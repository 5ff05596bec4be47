package identity

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

// TestEndedSignInHolds: an ended sign-in refuses that person from that
// address for the session's length, not anyone else nor elsewhere; a
// person disabled is refused everywhere they were signed in; the marks
// go when they lapse.
func TestEndedSignInHolds(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := NewSessions(func() time.Time { return now })
	dev, other := netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")
	s.Set(dev, "amy", 8*time.Hour)
	s.Set(other, "cat", 8*time.Hour)
	if err := s.Ended(dev, "amy"); err != nil {
		t.Fatalf("before the end: %v", err)
	}
	now = now.Add(time.Hour)
	if u, ok := s.End(dev); !ok || u != "amy" {
		t.Fatalf("end: %q %v", u, ok)
	}
	var e *SignInEndedError
	if err := s.Ended(netip.MustParseAddr("::ffff:10.0.0.2"), "amy"); !errors.Is(err, ErrSignInEnded) || !errors.As(err, &e) || !e.Until.Equal(now.Add(8*time.Hour)) {
		t.Errorf("after the end: %v", err)
	}
	if s.Ended(dev, "ben") != nil || s.Ended(other, "amy") != nil {
		t.Error("the end holds against someone else or elsewhere")
	}
	s.EndUser("cat")
	if s.Ended(other, "cat") == nil {
		t.Error("a disabled person's device end does not hold")
	}
	now = now.Add(8 * time.Hour)
	if err := s.Ended(dev, "amy"); err != nil {
		t.Errorf("after the session's length: %v", err)
	}
	s.Sweep()
	if len(s.ended) != 0 {
		t.Errorf("lapsed marks kept: %d", len(s.ended))
	}
}
