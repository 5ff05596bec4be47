package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// TestSanctionsAPI: the sanctions of an incident through the API and
// the pages, on both databases. Unknown fields and a missing people list
// (several people) are 422 naming the field; removal of access is a
// suspension in force at once and ended by revoke; a teacher or a
// governor is refused; the technical staff's task; the chronology.
func TestSanctionsAPI(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.people()
		if err := f.st.CreateUser(ctx, store.Actor{Name: "office"}, identity.User{Username: "bob", Roles: []identity.Role{identity.RolePupil}, YearGroup: "5"}, ""); err != nil {
			t.Fatal(err)
		}
		two, err := f.st.CreateIncident(ctx, store.Actor{Name: "r-teacher"}, store.Incident{Site: "school", OccurredAt: f.clk.Now().Add(-time.Hour),
			Category: "subverting-filtering", Summary: "a proxy site", People: []store.IncidentPerson{{Username: "ada", Roles: "pupil"}, {Username: "bob", Roles: "pupil"}}})
		if err != nil {
			t.Fatal(err)
		}
		dsl := f.token("r-dsl")
		path := fmt.Sprintf("/api/v1/incidents/%d/sanctions", two.ID)
		for _, tc := range []struct{ body, field string }{
			{`{"action":"removal_of_access","for":"7d","bogus":1}`, "bogus"},
			{`{"action":"removal_of_access","for":"7d"}`, "people"},
			{`{"action":"removal_of_access","for":"7d","people":["r-teacher"]}`, "people"},
			{`{"action":"removal_of_access","people":["ada"]}`, "for"},
			{`{"action":"removal_of_access","for":"7d","scope":"except:education","people":["ada"]}`, "scope"},
			{`{"action":"removal_of_access","for":"7d","scope":"category:nope","people":["ada"]}`, "scope"},
			{`{"action":"detention","people":["ada"]}`, "action"},
			{`{"action":"inform_parents","people":["ada"],"informed":{"who":"her father"}}`, "informed"},
			{`{"action":"warning","scope":"all","people":["ada"]}`, "scope"},
			{`{"action":"warning","for":"1h","people":["ada"]}`, "for"},
		} {
			st, out := f.api("POST", path, dsl, tc.body)
			var e apiErr
			if st != 422 || json.Unmarshal([]byte(out), &e) != nil || e.Field != tc.field {
				t.Errorf("%s: %d %s, want 422 naming %s", tc.body, st, out, tc.field)
			}
		}
		for _, who := range []string{"r-teacher", "r-governor", "r-technical"} {
			if st, out := f.api("POST", path, f.token(who), `{"action":"removal_of_access","for":"7d","people":["ada"]}`); st != 403 || !strings.Contains(out, `"capability": "sanction"`) {
				t.Errorf("%s sanctions: %d %s", who, st, out)
			}
		}
		if list, _ := f.st.ActiveOverrides(ctx, store.AllSites, f.clk.Now()); len(list) != 0 {
			t.Fatalf("refused calls made overrides: %+v", list)
		}
		st, out := f.api("POST", path, dsl, `{"action":"removal_of_access","for":"7d","scope":"all","people":["ada"]}`)
		var made struct {
			IDs       []int64       `json:"ids"`
			Sanctions []sanctionOut `json:"sanctions"`
		}
		if st != 201 || json.Unmarshal([]byte(out), &made) != nil || len(made.IDs) != 1 || made.Sanctions[0].User != "ada" || !made.Sanctions[0].Active ||
			made.Sanctions[0].Until != f.clk.Now().Add(7*24*time.Hour).UTC().Format(time.RFC3339) {
			t.Fatalf("sanction: %d %s", st, out)
		}
		if list, _ := f.st.ActiveOverrides(ctx, store.AllSites, f.clk.Now()); len(list) != 1 || list[0].User != "ada" || list[0].Kind != store.KindSuspension || list[0].ID != made.Sanctions[0].Override {
			t.Fatalf("the suspension: %+v", list)
		}
		if st, out := f.api("GET", path, dsl, ""); st != 200 || !strings.Contains(out, `"removal_of_access"`) || !strings.Contains(out, `"pupils": [`) {
			t.Errorf("list: %d %s", st, out)
		}
		if st, _ := f.api("GET", path, f.token("r-governor"), ""); st != 403 {
			t.Errorf("governor lists: %d", st)
		}
		// Revoke: once, with a reason; the suspension ends.
		rev := fmt.Sprintf("/api/v1/sanctions/%d/revoke", made.IDs[0])
		if st, _ := f.api("POST", rev, dsl, `{}`); st != 422 {
			t.Errorf("revoke without a reason: %d", st)
		}
		if st, out := f.api("POST", rev, dsl, `{"reason":"appeal upheld"}`); st != 200 || !strings.Contains(out, `"reason": "appeal upheld"`) {
			t.Errorf("revoke: %d %s", st, out)
		}
		if list, _ := f.st.ActiveOverrides(ctx, store.AllSites, f.clk.Now()); len(list) != 0 {
			t.Errorf("after revoke: %+v", list)
		}
		if st, _ := f.api("POST", rev, dsl, `{"reason":"again"}`); st != 422 {
			t.Errorf("revoke twice: %d", st)
		}

		// The page: the suggestions, the form, a referral to the
		// technical staff; their task; the chronology.
		b := f.browser()
		b.signIn("r-dsl", "")
		page := fmt.Sprintf("/incidents/%d/sanctions", two.ID)
		st, _, body := b.do("GET", page, nil)
		if st != 200 || !strings.Contains(body, "Removal of network / internet access rights</td><td><strong>suggested") || !strings.Contains(body, "revoked by r-dsl") {
			t.Fatalf("page: %d\n%s", st, body)
		}
		if st, _, body := b.post(page, url.Values{"action": {"refer_technical"}, "note": {"block the proxy"}}); st != 422 || !strings.Contains(body, "say whom") {
			t.Errorf("no one ticked: %d", st)
		}
		if st, loc, _ := b.post(page, url.Values{"action": {"refer_technical"}, "people": {"bob"}, "note": {"block the proxy"}, "for": {"7d"}, "scope": {"all"}}); st != 303 || loc != page+"?done=recorded" {
			t.Fatalf("record: %d %s", st, loc)
		}
		tech := f.browser()
		tech.signIn("r-technical", "")
		st, _, body = tech.do("GET", "/tasks", nil)
		if st != 200 || !strings.Contains(body, "<td>bob</td><td>block the proxy</td>") || !strings.Contains(body, `href="/policy"`) || !strings.Contains(body, `href="/requests"`) {
			t.Fatalf("tasks: %d\n%s", st, body)
		}
		tasks, _ := f.st.SanctionTasks(ctx, "school", true)
		if len(tasks) != 1 {
			t.Fatalf("tasks: %+v", tasks)
		}
		if st, loc, _ := tech.post(fmt.Sprintf("/tasks/%d/done", tasks[0].ID), url.Values{"notes": {"proxy.example blocked"}}); st != 303 || loc != "/tasks?done=1" {
			t.Errorf("done: %d %s", st, loc)
		}
		if st, _, _ := tech.do("GET", page, nil); st != 403 {
			t.Errorf("technical opens the sanctions page: %d", st)
		}
		st, _, body = b.do("GET", "/people/ada/chronology?since=2026-03-09&until=2026-03-10", nil)
		if st != 200 || !strings.Contains(body, "Removal of network / internet access rights · by r-dsl") || !strings.Contains(body, "revoked by r-dsl") {
			t.Errorf("chronology: %d\n%s", st, body)
		}
		recs, _ := f.st.ListAudit(ctx, store.AuditFilter{Action: "sanction.record"})
		if len(recs) != 2 {
			t.Errorf("audit: %d sanction.record", len(recs))
		}
	})
}
