package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"schoolgate/internal/store"
)

// TestAUAPublish: the esafety lead publishes a new version of a group's
// agreement from the page: it replaces the policy file's (its text, its
// version, who has accepted it: nobody yet), with an audit record; the
// same version again, the policy file's version, an unknown group or an
// empty text are refused with 422 naming the field; a teacher is refused.
// Both databases.
func TestAUAPublish(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		f.withAUA("2026-03")
		ctx := context.Background()
		if _, err := f.st.AcceptAUA(ctx, store.Acceptance{User: "ada", Group: "pupils-ks2", Version: "2026-03", Client: "10.20.0.7"}); err != nil {
			t.Fatal(err)
		}
		b := f.browser()
		b.signIn("r-esafety-lead", "")
		form := func(group, version, text string) url.Values {
			return url.Values{"group": {group}, "version": {version}, "text": {text}}
		}
		st, loc, body := b.post("/aua", form("pupils-ks2", "2026-09", "I will be kind online.\n<b>Always</b> ask first."))
		if st != http.StatusSeeOther || loc != "/aua?done=published" {
			t.Fatalf("publish: %d %s %s", st, loc, body)
		}
		_, _, body = b.do("GET", "/aua?done=published", nil)
		sec := body[strings.Index(body, `id="aua-pupils-ks2"`):]
		accepted, pending, _ := strings.Cut(sec[strings.Index(sec, "<h3>Accepted"):], "<h3>Not yet accepted")
		for _, want := range []string{`id="published"`, "version 2026-09", "Published in the console by r-esafety-lead", "&lt;b&gt;Always&lt;/b&gt;", "Version 2026-03: 1 accepted"} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if strings.Contains(accepted, "<td>ada</td>") || !strings.Contains(pending, "<td>ada</td>") {
			t.Errorf("ada, who accepted 2026-03, is not asked again:\n%s", sec)
		}
		recs, err := f.st.ListAudit(ctx, store.AuditFilter{Action: "aua.publish"})
		if err != nil || len(recs) != 1 || recs[0].Object != "group:pupils-ks2" || recs[0].Actor != "r-esafety-lead" {
			t.Errorf("audit: %+v %v", recs, err)
		}
		for _, c := range []struct {
			form  url.Values
			field string
		}{
			{form("pupils-ks2", "2026-09", "again"), "version"},
			{form("pupils-ks2", "2026-03", "the file's"), "version"},
			{form("nobody", "1", "text"), "group"},
			{form("pupils-ks2", "2027-01", "  "), "text"},
			{form("pupils-ks2", "", "text"), "version"},
		} {
			st, _, body := b.post("/aua", c.form)
			if st != http.StatusUnprocessableEntity || !strings.Contains(body, `id="publish-error">`+c.field+":") {
				t.Errorf("%v: %d, want 422 naming %s\n%s", c.form, st, c.field, body[strings.Index(body, `id="publish"`):])
			}
		}
		if cur, _ := f.st.CurrentAUAs(ctx, "school"); cur["pupils-ks2"].Version != "2026-09" || len(cur) != 1 {
			t.Errorf("published: %+v", cur)
		}
		tb := f.browser()
		tb.signIn("r-teacher", "")
		if st, _, _ := tb.post("/aua", form("pupils-ks2", "2028", "x")); st != http.StatusForbidden {
			t.Errorf("teacher: %d", st)
		}
	})
}
