package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// TestPolicyPage: the table in the seeds' words for every role that may
// read the policy; the explain form for a group gives the engine's
// answer; explaining for a named pupil is refused to a teacher and
// audited for a technician; input is escaped.
func TestPolicyPage(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		until := f.clk.Now().Add(time.Hour)
		if _, err := f.st.CreateOverride(context.Background(), store.Actor{Name: "r-dsl"}, policy.Override{Kind: "grant", User: "ada", Category: "social-media", Verdict: policy.Allow, Until: until}); err != nil {
			t.Fatal(err)
		}
		teacher := f.browser()
		teacher.signIn("r-teacher", "")
		st, _, body := teacher.do("GET", "/policy", nil)
		if st != http.StatusOK {
			t.Fatalf("policy: %d", st)
		}
		for _, want := range []string{`id="cat-illegal"`, "Unacceptable and illegal", "Locked", "Social media", "Allowed with staff permission", "Acceptable", "<th scope=\"col\">pupils-ks2</th>", `id="overrides"`, "<strong>1</strong> grant"} {
			if !strings.Contains(body, want) {
				t.Errorf("policy page lacks %q", want)
			}
		}
		if strings.Contains(body, "ada") {
			t.Errorf("the policy page names a pupil to a teacher")
		}
		q := url.Values{"target": {"https://social.example/feed"}, "who": {"pupils-ks2"}, "at": {"2026-03-09T10:30"}}
		st, _, body = teacher.do("GET", "/policy?"+q.Encode(), nil)
		if st != http.StatusOK || !strings.Contains(body, `id="verdict"><strong>block</strong> (needs staff permission)`) || !strings.Contains(body, "rules.social-media.pupils-ks2") {
			t.Errorf("explain for a group: %d\n%s", st, body)
		}
		// A teacher may not explain for a named pupil.
		q.Set("who", "ada")
		st, _, body = teacher.do("GET", "/policy?"+q.Encode(), nil)
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, "named person") || strings.Contains(body, `id="verdict"`) {
			t.Errorf("teacher explaining for ada: %d", st)
		}
		// Nor learn whether a name exists.
		q.Set("who", "nobody.here")
		if st, _, body := teacher.do("GET", "/policy?"+q.Encode(), nil); st != http.StatusUnprocessableEntity || !strings.Contains(body, "named person") {
			t.Errorf("teacher explaining for an unknown name: %d", st)
		}
		// Escaping: the target is shown as text.
		q.Set("who", "pupils-ks2")
		q.Set("target", `<script>alert(1)</script>`)
		_, _, body = teacher.do("GET", "/policy?"+q.Encode(), nil)
		if strings.Contains(body, "<script>alert") {
			t.Errorf("target not escaped")
		}
		// A technician explains for ada: her groups, her grant (which the
		// group's explanation above did not have), and an audit record.
		tech := f.browser()
		tech.signIn("r-technical", "")
		q.Set("who", "ada")
		q.Set("target", "social.example")
		st, _, body = tech.do("GET", "/policy?"+q.Encode(), nil)
		if st != http.StatusOK || !strings.Contains(body, "pupils-ks2") || !strings.Contains(body, `id="verdict"><strong>allow</strong>`) || !strings.Contains(body, "override:") {
			t.Fatalf("technician explaining for ada: %d\n%s", st, body)
		}
		recs, err := f.st.ListAudit(context.Background(), store.AuditFilter{Actor: "r-technical", Action: "console.policy.explain"})
		if err != nil || len(recs) != 1 || recs[0].Object != "user:ada" || recs[0].Roles != "technical" || recs[0].From == "" || !strings.Contains(recs[0].After, "user_agent") {
			t.Errorf("audit: %+v %v", recs, err)
		}
		// A bad time names the field.
		q.Set("at", "tomorrow")
		if st, _, body := tech.do("GET", "/policy?"+q.Encode(), nil); st != http.StatusUnprocessableEntity || !strings.Contains(body, "time:") {
			t.Errorf("bad time: %d", st)
		}
	})
}
