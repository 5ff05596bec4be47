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

// TestAlertPages: the dsl sees the live count on every page, the list
// with the pupil's name, an alert with its events, and handles it (ack,
// note, close with an outcome), each view audited; a teacher and a
// governor get 403 and no count. Through the API: the list by status,
// the count, close refusing an unknown field and a bad outcome. Both
// databases.
func TestAlertPages(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		ctx := context.Background()
		dsl := f.browser()
		dsl.signIn("r-dsl", "")
		_, _, home := dsl.do("GET", "/", nil)
		if !strings.Contains(home, `id="alerts-new" class="count live" title="new alerts">4<`) || !strings.Contains(home, `src="/static/alerts.js"`) {
			t.Errorf("the dsl's dashboard has no live count of 4: %s", home)
		}
		if st, _, list := dsl.do("GET", "/alerts", nil); st != http.StatusOK || !strings.Contains(list, "ada") || !strings.Contains(list, "mr.staff") {
			t.Errorf("list: %d %s", st, list)
		}
		id := f.alertFor(identity.RoleDSL)
		st, _, page := dsl.do("GET", "/alerts/"+id, nil)
		if st != http.StatusOK || !strings.Contains(page, "games.example") || !strings.Contains(page, `id="ack"`) {
			t.Fatalf("alert: %d %s", st, page)
		}
		if st, loc, _ := dsl.post("/alerts/"+id+"/ack", url.Values{}); st != http.StatusSeeOther || !strings.HasSuffix(loc, "done=ack") {
			t.Errorf("ack: %d %s", st, loc)
		}
		dsl.do("GET", "/alerts/"+id, nil)
		if st, _, _ := dsl.post("/alerts/"+id+"/notes", url.Values{"note": {"called home"}}); st != http.StatusSeeOther {
			t.Errorf("note: %d", st)
		}
		dsl.do("GET", "/alerts/"+id, nil)
		if st, _, body := dsl.post("/alerts/"+id+"/close", url.Values{"outcome": {"resolved"}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "outcome") {
			t.Errorf("a bad outcome: %d", st)
		}
		if st, _, _ := dsl.post("/alerts/"+id+"/close", url.Values{"outcome": {store.OutcomeTrueConcern}}); st != http.StatusSeeOther {
			t.Errorf("close: %d", st)
		}
		_, _, page = dsl.do("GET", "/alerts/"+id, nil)
		if !strings.Contains(page, "closed") || !strings.Contains(page, "called home") || strings.Contains(page, `id="ack"`) {
			t.Errorf("closed alert page: %s", page)
		}
		views, err := f.st.ListAudit(ctx, store.AuditFilter{Action: "alert.view"})
		if err != nil || len(views) < 3 || views[0].Object != "user:ada" || views[0].Actor != "r-dsl" {
			t.Errorf("alert views audited: %+v %v", views, err)
		}

		for _, who := range []string{"r-teacher", "r-governor"} {
			b := f.browser()
			b.signIn(who, "")
			_, _, home := b.do("GET", "/", nil)
			if strings.Contains(home, "alerts-new") || strings.Contains(home, `href="/alerts"`) {
				t.Errorf("%s sees the alert count or link", who)
			}
			for _, p := range []string{"/alerts", "/alerts/" + id, "/api/v1/alerts/count"} {
				if st, _, body := b.do("GET", p, nil); st != http.StatusForbidden || strings.Contains(body, "ada") {
					t.Errorf("%s %s: %d", who, p, st)
				}
			}
		}

		tok := f.token("r-esafety-lead")
		st, out := f.api("GET", "/api/v1/alerts?status=new", tok, "")
		var got struct {
			Alerts []store.Alert `json:"alerts"`
		}
		if st != http.StatusOK || json.Unmarshal([]byte(out), &got) != nil || len(got.Alerts) != 2 || got.Alerts[0].User != "ada" || got.Alerts[0].Count != 1 {
			t.Errorf("esafety-lead's new alerts: %d %s", st, out)
		}
		if st, out := f.api("GET", "/api/v1/alerts?status=open", tok, ""); st != http.StatusUnprocessableEntity || !strings.Contains(out, `"status"`) {
			t.Errorf("a bad status: %d %s", st, out)
		}
		if st, out := f.api("GET", "/api/v1/alerts/count", tok, ""); st != http.StatusOK || !strings.Contains(out, `"new": 2`) {
			t.Errorf("count: %d %s", st, out)
		}
		eid := f.alertFor(identity.RoleESafetyLead)
		if st, out := f.api("POST", "/api/v1/alerts/"+eid+"/close", tok, `{"outcome":"duplicate","colour":"red"}`); st != http.StatusUnprocessableEntity || !strings.Contains(out, "colour") {
			t.Errorf("an unknown field: %d %s", st, out)
		}
		if st, out := f.api("POST", "/api/v1/alerts/"+f.alertFor(identity.RoleSLT)+"/close", tok, `{"outcome":"duplicate"}`); st != http.StatusNotFound {
			t.Errorf("closing a staff alert as esafety-lead: %d %s", st, out)
		}
		if st, out := f.api("POST", "/api/v1/alerts/"+eid+"/ack", tok, ""); st != http.StatusOK {
			t.Errorf("ack: %d %s", st, out)
		}
		if st, out := f.api("POST", "/api/v1/alerts/"+eid+"/ack", tok, ""); st != http.StatusConflict {
			t.Errorf("ack again: %d %s", st, out)
		}
		if st, out := f.api("POST", "/api/v1/alerts/"+eid+"/close", tok, `{"outcome":"false-positive","note":"a film review"}`); st != http.StatusOK || !strings.Contains(out, "closed") {
			t.Errorf("close: %d %s", st, out)
		}
	})
}
