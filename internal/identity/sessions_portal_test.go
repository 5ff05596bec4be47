package identity

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// TestPortalSessions: a portal sign-in holds until its end; with an idle
// limit it ends after that long without a lookup and each lookup keeps it
// going; signing out leaves no mark against signing in again.
func TestPortalSessions(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := NewSessions(func() time.Time { return now })
	pupil, staff := netip.MustParseAddr("10.9.0.2"), netip.MustParseAddr("10.9.0.3")
	s.SetPortal(pupil, "amy", now.Add(6*time.Hour), 0)
	s.SetPortal(staff, "mr-b", now.Add(6*time.Hour), 30*time.Minute)
	for i := 0; i < 4; i++ { // a query every 20 minutes keeps the staff session
		now = now.Add(20 * time.Minute)
		if u, ok := s.Lookup(staff); !ok || u != "mr-b" {
			t.Fatalf("staff after %d lookups: %q %v", i, u, ok)
		}
	}
	if l := s.List(); len(l) != 2 || !l[0].Portal || !l[1].Portal {
		t.Errorf("list: %+v", l)
	}
	now = now.Add(30 * time.Minute) // idle
	if _, ok := s.Lookup(staff); ok {
		t.Error("an idle staff session still holds")
	}
	if u, ok := s.Lookup(pupil); !ok || u != "amy" {
		t.Errorf("the pupil's (no idle limit): %q %v", u, ok)
	}
	if n := s.Sweep(); n != 1 {
		t.Errorf("swept %d, want the idle one", n)
	}
	if u, ok := s.SignOut(pupil); !ok || u != "amy" {
		t.Errorf("sign out: %q %v", u, ok)
	}
	if _, ok := s.Lookup(pupil); ok || s.Ended(pupil, "amy") != nil {
		t.Error("after signing out: still signed in, or held out")
	}
	s.SetPortal(pupil, "amy", now.Add(time.Hour), 0)
	now = now.Add(time.Hour)
	if _, ok := s.Lookup(pupil); ok {
		t.Error("a portal session past its end still holds")
	}
}

// TestResolverPortal: only an unidentified client in a portal group's
// networks is marked Portal; a signed-in one is its person.
func TestResolverPortal(t *testing.T) {
	cfg, err := config.Parse("p.yaml", "/tmp/p.yaml", []byte(`
blockpage: {listen: 127.0.0.1:8080}
groups:
  pupils: {networks: [10.1.0.0/16]}
  devices: {networks: [10.9.0.0/16], portal: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := policy.Compile(cfg, policy.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	s := NewSessions(nil)
	r := NewResolver(s, nil, nil)
	dev, lab := netip.MustParseAddr("10.9.0.2"), netip.MustParseAddr("10.1.0.2")
	if w := r.Client(context.Background(), snap, dev); !w.Portal || w.User != "" {
		t.Errorf("unidentified device: %+v", w)
	}
	if w := r.Client(context.Background(), snap, netip.MustParseAddr("::ffff:10.9.0.2")); !w.Portal {
		t.Errorf("unidentified device, mapped address: %+v", w)
	}
	if w := r.Client(context.Background(), snap, lab); w.Portal {
		t.Errorf("a client outside portal networks: %+v", w)
	}
	s.SetPortal(dev, "amy", time.Now().Add(time.Hour), 0)
	if w := r.Client(context.Background(), snap, dev); w.Portal || w.User != "amy" || w.How != BySession {
		t.Errorf("signed-in device: %+v", w)
	}
}
