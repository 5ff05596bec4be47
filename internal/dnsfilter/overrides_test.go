package dnsfilter

import (
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"schoolgate/internal/dnsfilter/dnstest"
	"schoolgate/internal/policy"
)

// TestClientOverride: a device's warning click-through (an override for
// its address) lets it through the warning, for the name and for an
// alias of it (the CNAME target is decided with the same overrides), with
// TTLs no longer than the override; a user logged in on that device does
// not inherit it.
func TestClientOverride(t *testing.T) {
	e := startTest(t, nil)
	pupil := netip.MustParseAddr("127.0.0.2")
	blockPage := netip.MustParseAddr("127.0.0.1")
	if a := firstAddr(e.query(t, "127.0.0.2", "games.test", dns.TypeA)); a != blockPage {
		t.Fatalf("before the click-through: %v", a)
	}
	if r := e.query(t, "127.0.0.2", "games--test.cname.test", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("alias before the click-through: %v", r)
	}
	e.engine.SetOverrides(policy.NewOverrides([]policy.Override{{
		Kind: "continue", Client: pupil, Target: "games.test", Verdict: policy.Allow,
		Created: t0, Until: t0.Add(20 * time.Second),
	}}))
	for _, name := range []string{"games.test", "games--test.cname.test"} {
		r := e.query(t, "127.0.0.2", name, dns.TypeA)
		if r.Rcode != dns.RcodeSuccess || firstAddr(r) != dnstest.AddrFor("games.test") {
			t.Fatalf("%s after the click-through: %v", name, r)
		}
		for _, rr := range r.Answer {
			if rr.Header().Ttl != 20 {
				t.Errorf("%s: TTL %d, want 20 (the override's end)", name, rr.Header().Ttl)
			}
		}
		if ev := e.sink.last(); ev.Verdict != "allow" || ev.Host != name {
			t.Errorf("%s: event %+v", name, ev)
		}
	}
	// A user logged in on the device does not inherit its click-through.
	e.sessions.Set(pupil, "bob", time.Hour)
	if a := firstAddr(e.query(t, "127.0.0.2", "games.test", dns.TypeA)); a != blockPage {
		t.Errorf("bob on the device: %v", a)
	}
}
