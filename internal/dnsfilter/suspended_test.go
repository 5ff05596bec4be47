package dnsfilter

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"schoolgate/internal/dnsfilter/dnstest"
	"schoolgate/internal/policy"
)

// TestSuspendedUser: a suspension (a sanction's removal of access) of
// the user signed in on a device sends every name to the block page
// with an EDE that says until when and nothing of why; the next user on
// another device is not touched, and the answer's TTL ends with it.
func TestSuspendedUser(t *testing.T) {
	e := startTest(t, nil)
	pupil := netip.MustParseAddr("127.0.0.2")
	e.sessions.Set(pupil, "amy", time.Hour)
	if a := firstAddr(e.query(t, "127.0.0.2", "ok.test", dns.TypeA)); a != dnstest.AddrFor("ok.test") {
		t.Fatalf("before: %v", a)
	}
	e.engine.SetOverrides(policy.NewOverrides([]policy.Override{{ID: 7, Kind: "suspension", User: "amy", Verdict: policy.Block,
		Created: t0, Until: t0.Add(90 * time.Second), By: "ms.dsl", Reason: "sanction for incident 3"}}))
	r := e.query(t, "127.0.0.2", "ok.test", dns.TypeA)
	code, text := ede(r)
	if firstAddr(r) != netip.MustParseAddr("127.0.0.1") || code != edeFiltered || text != "access suspended until 2 Mar 2026 10:01" {
		t.Fatalf("suspended: %v, EDE %d %q", r, code, text)
	}
	for _, rr := range r.Answer {
		if rr.Header().Ttl > 90 {
			t.Errorf("TTL %d outlives the suspension", rr.Header().Ttl)
		}
	}
	if strings.Contains(text, "incident") || strings.Contains(text, "ms.dsl") {
		t.Errorf("the EDE says why: %q", text)
	}
	if a := firstAddr(e.query(t, "127.0.0.3", "ok.test", dns.TypeA)); a != dnstest.AddrFor("ok.test") {
		t.Errorf("another device: %v", a)
	}
}
