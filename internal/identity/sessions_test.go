package identity

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestSessionsList: List copies the current sessions, sorted by address,
// with since and until; expired ones are left out; an IPv4-mapped
// address is the IPv4 one.
func TestSessionsList(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)}
	s := NewSessions(clk.now)
	start := clk.now()
	s.Set(netip.MustParseAddr("10.20.0.9"), "bob", time.Hour)
	s.Set(netip.MustParseAddr("::ffff:10.20.0.7"), "ada", time.Hour)
	s.Set(netip.MustParseAddr("10.20.0.8"), "old", time.Minute)
	clk.add(2 * time.Minute)
	got := s.List()
	want := []DeviceSession{
		{Addr: netip.MustParseAddr("10.20.0.7"), User: "ada", Since: start, Until: start.Add(time.Hour)},
		{Addr: netip.MustParseAddr("10.20.0.9"), User: "bob", Since: start, Until: start.Add(time.Hour)},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("List = %v, want %v", got, want)
	}
	// The copy is the caller's: changing it changes nothing held.
	got[0].User = "mallory"
	if u, ok := s.Lookup(netip.MustParseAddr("10.20.0.7")); !ok || u != "ada" {
		t.Errorf("after changing the copy: %q %v", u, ok)
	}
}

// TestSessionsEnd: End says whose session it ended; a second End, an
// unknown address and an expired session are not ended ones.
func TestSessionsEnd(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)}
	s := NewSessions(clk.now)
	ada := netip.MustParseAddr("10.20.0.7")
	s.Set(ada, "ada", time.Hour)
	s.Set(netip.MustParseAddr("10.20.0.8"), "old", time.Minute)
	if u, ok := s.End(netip.MustParseAddr("::ffff:10.20.0.7")); !ok || u != "ada" {
		t.Fatalf("End = %q %v", u, ok)
	}
	if _, ok := s.Lookup(ada); ok {
		t.Error("session still held after End")
	}
	if u, ok := s.End(ada); ok || u != "" {
		t.Errorf("second End = %q %v", u, ok)
	}
	if _, ok := s.End(netip.MustParseAddr("10.99.0.1")); ok {
		t.Error("End of an unknown address")
	}
	clk.add(2 * time.Minute)
	if u, ok := s.End(netip.MustParseAddr("10.20.0.8")); ok || u != "" {
		t.Errorf("End of an expired session = %q %v", u, ok)
	}
	if s.Len() != 0 {
		t.Errorf("%d sessions held", s.Len())
	}
}

// TestSessionsEndUser ends one person's sessions on every device and
// leaves everyone else's.
func TestSessionsEndUser(t *testing.T) {
	s := NewSessions(nil)
	s.Set(netip.MustParseAddr("10.20.0.9"), "ada", time.Hour)
	s.Set(netip.MustParseAddr("10.20.0.7"), "ada", time.Hour)
	s.Set(netip.MustParseAddr("10.20.0.8"), "bob", time.Hour)
	ended := s.EndUser("ada")
	if fmt.Sprint(ended) != "[10.20.0.7 10.20.0.9]" {
		t.Errorf("EndUser = %v", ended)
	}
	if l := s.List(); len(l) != 1 || l[0].User != "bob" {
		t.Errorf("left: %v", l)
	}
	if ended := s.EndUser("nobody"); len(ended) != 0 {
		t.Errorf("EndUser(nobody) = %v", ended)
	}
}

// TestSessionsConcurrent lists and ends while others sign in (run with
// -race).
func TestSessionsConcurrent(t *testing.T) {
	s := NewSessions(nil)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				ip := netip.AddrFrom4([4]byte{10, 20, byte(i), byte(j)})
				s.Set(ip, fmt.Sprint("u", i), time.Hour)
				_ = s.List()
				if j%3 == 0 {
					s.End(ip)
				}
			}
			s.EndUser(fmt.Sprint("u", i))
		}()
	}
	wg.Wait()
	if s.Len() != 0 {
		t.Errorf("%d sessions held after every person's were ended", s.Len())
	}
}

// TestSessionsRenew: renewing the same person's current session keeps
// when it began and moves its end; another person, or a renewal after it
// expired, starts afresh.
func TestSessionsRenew(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)}
	s := NewSessions(clk.now)
	ip := netip.MustParseAddr("10.20.0.7")
	start := clk.now()
	s.Set(ip, "ada", time.Hour)
	clk.add(30 * time.Minute)
	s.Set(ip, "ada", time.Hour)
	if l := s.List(); len(l) != 1 || !l[0].Since.Equal(start) || !l[0].Until.Equal(start.Add(90*time.Minute)) {
		t.Errorf("renewed: %v", l)
	}
	s.Set(ip, "bob", time.Hour)
	if l := s.List(); len(l) != 1 || l[0].User != "bob" || !l[0].Since.Equal(clk.now()) {
		t.Errorf("another person: %v", l)
	}
	clk.add(2 * time.Hour)
	s.Set(ip, "bob", time.Hour)
	if l := s.List(); len(l) != 1 || !l[0].Since.Equal(clk.now()) {
		t.Errorf("after expiry: %v", l)
	}
}
