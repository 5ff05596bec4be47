package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// TestPolicyHistory: every role that reads the policy sees the versions
// and a readable diff; only the technical role rolls back, with a fresh
// code; the rollback is a new version, in the audit trail; the API gives
// the same.
func TestPolicyHistory(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		ctx := context.Background()
		by := store.Actor{Name: "it-lead", From: "cli@test"}
		list := []byte("bet.example\n")
		l := []store.PolicyList{{Source: "lists/g.txt", Hash: store.BlobHash(list)}}
		v1, err := f.st.PushPolicy(ctx, by, store.PolicyVersion{Kind: store.PolicyTrust, Content: "rules:\n  games: {pupils: allow}\n", Note: "first", Lists: l},
			map[string][]byte{store.BlobHash(list): list})
		if err != nil {
			t.Fatal(err)
		}
		f.clk.Add(60e9)
		v2, err := f.st.PushPolicy(ctx, by, store.PolicyVersion{Kind: store.PolicyTrust, Content: "rules:\n  games: {pupils: block}\n", Note: "games <b>blocked</b>", Lists: l}, nil)
		if err != nil {
			t.Fatal(err)
		}

		dsl := f.browser()
		dsl.signIn("r-dsl", "")
		st, _, body := dsl.do("GET", "/policy/history", nil)
		if st != http.StatusOK || !strings.Contains(body, `id="version-2"`) || !strings.Contains(body, "games &lt;b&gt;blocked&lt;/b&gt;") ||
			!strings.Contains(body, `href="/policy/history?a=1&amp;b=2#diff"`) || strings.Contains(body, "/rollback") {
			t.Fatalf("history as dsl: %d\n%s", st, body)
		}
		st, _, body = dsl.do("GET", "/policy/history?a=1&b=2", nil)
		if st != http.StatusOK || !strings.Contains(body, `<span class="diff-del">-  games: {pupils: allow}</span>`) || !strings.Contains(body, `<span class="diff-add">&#43;  games: {pupils: block}</span>`) {
			t.Fatalf("diff: %d\n%s", st, body)
		}
		if st, _, _ := dsl.do("GET", "/policy/history?a=1&b=99", nil); st != http.StatusUnprocessableEntity {
			t.Errorf("diff with a version not there: %d", st)
		}
		if st, _, _ := dsl.post("/policy/history/1/rollback", url.Values{"code": {"123456"}}); st != http.StatusForbidden {
			t.Errorf("rollback as dsl: %d, want 403", st)
		}

		tech := f.browser()
		secret := tech.signIn("r-technical", "")
		if _, _, body := tech.do("GET", "/policy/history", nil); !strings.Contains(body, `action="/policy/history/1/rollback"`) {
			t.Fatalf("no rollback form for technical:\n%s", body)
		}
		if st, _, body := tech.post("/policy/history/1/rollback", url.Values{"note": {"undo"}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "code") {
			t.Errorf("rollback without a code: %d", st)
		}
		if st, _, _ := tech.post("/policy/history/1/rollback", url.Values{"code": {"000000"}}); st != http.StatusUnprocessableEntity {
			t.Errorf("rollback with a wrong code: %d", st)
		}
		f.clk.Add(identity.TOTPStep)
		code, _ := identity.TOTPCodeAt(secret, f.clk.Now())
		if st, _, _ := tech.post("/policy/history/99/rollback", url.Values{"code": {code}}); st != http.StatusUnprocessableEntity {
			t.Errorf("rollback to a version not there: %d", st)
		}
		f.clk.Add(identity.TOTPStep)
		code, _ = identity.TOTPCodeAt(secret, f.clk.Now())
		st, loc, _ := tech.post("/policy/history/1/rollback", url.Values{"code": {code}, "note": {"games open again"}})
		if st != http.StatusSeeOther || loc != "/policy/history?done=rolled-back" {
			t.Fatalf("rollback: %d %s", st, loc)
		}
		latest, err := f.st.LatestPolicy(ctx, store.PolicyTrust, "")
		if err != nil || latest.ID <= v2.ID || latest.Content != v1.Content || latest.CopiedFrom != v1.ID || latest.CreatedBy != "r-technical" || latest.Note != "games open again" {
			t.Fatalf("after rollback: %+v %v", latest, err)
		}
		recs, err := f.st.ListAudit(ctx, store.AuditFilter{Action: "policy.rollback"})
		if err != nil || len(recs) != 1 || recs[0].Actor != "r-technical" || !strings.Contains(recs[0].Roles, "technical") {
			t.Fatalf("audit: %+v %v", recs, err)
		}

		// The API: the versions, and the diff of two.
		req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/policy/history?a=1&b=2", nil)
		resp, err := dsl.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct {
			Versions []store.PolicyVersion `json:"versions"`
			Diff     string                `json:"diff"`
			Lists    []string              `json:"lists_changed"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("API: %d %v", resp.StatusCode, err)
		}
		if len(got.Versions) != 3 || got.Versions[0].CopiedFrom != 1 || !strings.Contains(got.Diff, "+  games: {pupils: block}\n") || got.Lists == nil || len(got.Lists) != 0 {
			t.Fatalf("API: %+v", got)
		}
	})
}
