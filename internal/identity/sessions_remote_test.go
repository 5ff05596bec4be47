package identity

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

// TestEndFromOtherNode: a sign-in ended on another node ends the same
// person's session here and refuses their credentials from that address
// until the end lapses; someone else's session from the address stays;
// an end already lapsed, or applied again, changes nothing.
func TestEndFromOtherNode(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := NewSessions(func() time.Time { return now })
	dev, other := netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")
	s.Set(dev, "amy", 8*time.Hour)
	s.Set(other, "cat", 8*time.Hour)
	until := now.Add(8 * time.Hour)
	s.EndFrom(netip.MustParseAddr("::ffff:10.0.0.2"), "amy", until)
	if u, ok := s.Lookup(dev); ok {
		t.Errorf("amy's session from %s after an end elsewhere: %q", dev, u)
	}
	var e *SignInEndedError
	if err := s.Ended(dev, "amy"); err == nil || !errors.As(err, &e) || !e.Until.Equal(until) {
		t.Errorf("amy's credentials from %s: %v, want refused until %s", dev, err, until)
	}
	s.EndFrom(other, "amy", until) // amy was not signed in there: cat stays
	if u, ok := s.Lookup(other); !ok || u != "cat" {
		t.Errorf("cat's session after amy's end from the same address: %q %v", u, ok)
	}
	s.EndFrom(dev, "amy", until.Add(-time.Hour)) // an older end: the later holds
	if err := s.Ended(dev, "amy"); !errors.As(err, &e) || !e.Until.Equal(until) {
		t.Errorf("after an older end applied again: %v", err)
	}
	s.EndFrom(dev, "ben", now.Add(-time.Minute)) // lapsed
	if s.Ended(dev, "ben") != nil {
		t.Error("a lapsed end holds")
	}
	now = until
	if s.Ended(dev, "amy") != nil {
		t.Error("the end holds after its length")
	}
}
