package pages

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/policy"
)

// TestBlockedSuspended: a suspension (a sanction) gives a block page that
// says access is suspended and until when, in site time, and nothing of
// why, nor a form to ask for access.
func TestBlockedSuspended(t *testing.T) {
	e := testEngine(t)
	p, err := New(Options{Engine: e})
	if err != nil {
		t.Fatal(err)
	}
	snap := e.Snapshot()
	addr := netip.MustParseAddr("10.10.2.3")
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	until := now.Add(7 * 24 * time.Hour)
	ovs := policy.NewOverrides([]policy.Override{{ID: 4, Kind: "suspension", User: "jsmith", Verdict: policy.Block, Until: until, By: "ms.dsl", Reason: "sanction for incident 12"}})
	q := policy.Query{Host: "ok.test", User: "jsmith", Client: addr, Groups: snap.GroupsForIP(addr), At: now, Overrides: ovs}
	d := snap.Decide(&q)
	if !d.Suspended() {
		t.Fatalf("decision: %+v", d)
	}
	w := httptest.NewRecorder()
	p.Blocked(w, httptest.NewRequest("GET", "http://ok.test/", nil), Visitor{User: "jsmith", Client: addr, Groups: q.Groups},
		Blocked{URL: "http://ok.test/", Host: "ok.test", Decision: d, Snapshot: snap, Ref: "SG-00000002"})
	body := w.Body.String()
	if w.Code != http.StatusForbidden || !strings.Contains(body, "Your access is suspended until <strong>Wednesday 9 December 2026, 09:00</strong>") {
		t.Fatalf("%d\n%s", w.Code, body)
	}
	for _, n := range []string{"incident", "ms.dsl", "sanction", "Ask for access", "category"} {
		if strings.Contains(body, n) {
			t.Errorf("the page says %q:\n%s", n, body)
		}
	}
	// Without the suspension the page is the rules' own.
	q.Overrides = nil
	if d := snap.Decide(&q); d.Suspended() || d.Source == policy.SourceOverride {
		t.Errorf("without it: %+v", d)
	}
}
