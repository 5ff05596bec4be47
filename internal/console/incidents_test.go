package console

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// incidentEvents adds ada's blocked look-up with a block page reference
// and an event of r-teacher's (staff) with one.
func (f *fixture) incidentEvents() (pupil, staff activity.Event) {
	f.t.Helper()
	now := f.clk.Now()
	pupil = activity.Event{Time: now.Add(-10 * time.Minute), Client: netip.MustParseAddr("10.20.0.7"), User: "ada", Groups: []string{"pupils-ks2"},
		Host: "games.example", URL: "http://games.example/play", Categories: []string{"games"}, Verdict: "block", Point: activity.PointProxy, Ref: "SG-00c0ffee"}
	staff = activity.Event{Time: now.Add(-9 * time.Minute), Client: netip.MustParseAddr("10.10.0.2"), User: "r-teacher", Groups: []string{"staff"},
		Host: "staffgames.example", Verdict: "block", Point: activity.PointProxy, Ref: "SG-0000beef"}
	if err := f.st.InsertEvents(context.Background(), []activity.Event{pupil, staff}); err != nil {
		f.t.Fatal(err)
	}
	return pupil, staff
}

var incidentLocRE = regexp.MustCompile(`^/incidents/(\d+)\?done=recorded$`)

// TestIncidentPages walks the log through the pages on both databases:
// a teacher records an incident with the event a pupil's block page
// named; the dsl reads it with its evidence, corrects it, records a
// referral and closes it; the record keeps its history; a governor is
// refused everywhere; a teacher's incident about staff shows them only
// that they reported it; the chronology shows incidents and referrals.
func TestIncidentPages(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		pupilEv, staffEv := f.incidentEvents()
		teacher := f.browser()
		teacher.signIn("r-teacher", "")

		// The form, with the event named by the block page's reference:
		// shown before it is recorded.
		st, _, body := teacher.do("GET", "/incidents/new?event="+pupilEv.Ref+"&person=ada", nil)
		if st != http.StatusOK || !strings.Contains(body, "http://games.example/play") || !strings.Contains(body, `value="ada"`) ||
			!strings.Contains(body, "Promotion of any kind of discrimination") || !strings.Contains(body, `<option value="ada">`) {
			t.Fatalf("new incident form: %d\n%s", st, body)
		}
		// A member of staff's event is not the teacher's to link, by
		// reference or otherwise.
		if st, _, body := teacher.do("GET", "/incidents/new?event="+staffEv.Ref, nil); st != http.StatusUnprocessableEntity || strings.Contains(body, "staffgames") {
			t.Errorf("staff event by reference: %d", st)
		}
		if st, _, body := teacher.do("GET", "/incidents/new?event="+eventKey(activity.Event{Time: pupilEv.Time, Client: pupilEv.Client, Host: pupilEv.Host}), nil); st != http.StatusUnprocessableEntity || strings.Contains(body, "games.example/play") {
			t.Errorf("a pupil's event by its key, for a teacher: %d", st)
		}
		form := url.Values{"occurred_at": {"2026-03-09T09:40"}, "category": {"pornography"}, "summary": {"Tried to open a games site in maths, <b>twice</b>"},
			"people": {"ada"}, "outsiders": {"a visitor"}, "event": {pupilEv.Ref}}
		// Bad input names the field and keeps what was typed.
		for field, bad := range map[string]string{"occurred_at": "yesterday", "category": "no-such", "summary": " ", "people": "ada, no one"} {
			bf := url.Values{}
			for k, v := range form {
				bf[k] = v
			}
			bf.Set(field, bad)
			st, _, body := teacher.post("/incidents", bf)
			if st != http.StatusUnprocessableEntity || !strings.Contains(body, field) || !strings.Contains(body, "games site in maths") && field != "summary" {
				t.Errorf("%s=%q: %d", field, bad, st)
			}
		}
		st, loc, body := teacher.post("/incidents", form)
		m := incidentLocRE.FindStringSubmatch(loc)
		if st != http.StatusSeeOther || m == nil {
			t.Fatalf("record: %d %s %s", st, loc, body)
		}
		id := m[1]
		st, _, body = teacher.do("GET", loc, nil)
		if st != http.StatusOK || !strings.Contains(body, "&lt;b&gt;twice&lt;/b&gt;") || !strings.Contains(body, "games.example/play") ||
			!strings.Contains(body, "SG-00c0ffee") || !strings.Contains(body, "2026-03-09 09:50:00 GMT") || !strings.Contains(body, "a visitor") || strings.Contains(body, `id="about-staff"`) ||
			strings.Contains(body, `id="close"`) {
			t.Fatalf("the teacher's record: %d\n%s", st, body)
		}

		// A governor: 403 on every incident route, nothing shown.
		gov := f.browser()
		gov.signIn("r-governor", "")
		for _, rt := range f.c.routes() {
			method, path, _ := strings.Cut(rt.pattern, " ")
			if !strings.Contains(path, "/incidents") {
				continue
			}
			path = strings.ReplaceAll(path, "{id}", id)
			var st int
			var body string
			if method == "GET" {
				st, _, body = gov.do("GET", path, nil)
			} else {
				st, _, body = gov.post(path, url.Values{"action": {"x"}, "incident": {id}, "kind": {"activity"}, "ref": {pupilEv.Ref}})
			}
			if isAPI(rt.pattern) {
				continue // TestAPIIncidents
			}
			if st != http.StatusForbidden || strings.Contains(body, "games") {
				t.Errorf("governor %s: %d", rt.pattern, st)
			}
		}
		// Technical reported nothing: the list is empty, the record refused.
		tech := f.browser()
		tech.signIn("r-technical", "")
		if _, _, body := tech.do("GET", "/incidents", nil); strings.Contains(body, "games site") || !strings.Contains(body, "No incidents") {
			t.Errorf("technical's list shows another's incident")
		}
		if st, _, body := tech.do("GET", "/incidents/"+id, nil); st != http.StatusForbidden || strings.Contains(body, "games site") {
			t.Errorf("technical opens the incident: %d", st)
		}

		// The dsl reads it with its evidence, and leads it.
		dsl := f.browser()
		dsl.signIn("r-dsl", "")
		st, _, body = dsl.do("GET", "/incidents/"+id, nil)
		if st != http.StatusOK || !strings.Contains(body, "games.example/play") || !strings.Contains(body, `id="close"`) || !strings.Contains(body, `id="investigate"`) {
			t.Fatalf("dsl's record: %d\n%s", st, body)
		}
		steps := []struct {
			path string
			form url.Values
			want int
		}{
			{"/corrections", url.Values{"field": {"summary"}, "value": {"Tried to open a games site in maths, three times"}}, http.StatusUnprocessableEntity}, // no reason
			{"/corrections", url.Values{"field": {"summary"}, "value": {"Tried to open a games site in maths, three times"}, "reason": {"the log shows three"}}, http.StatusSeeOther},
			{"/corrections", url.Values{"field": {"category"}, "value": {"non-educational-use-in-lessons"}, "reason": {"games, not adult"}}, http.StatusSeeOther},
			{"/actions", url.Values{"action": {"Spoke to Ada and her parents"}}, http.StatusSeeOther},
			{"/status", url.Values{"status": {"under-investigation"}}, http.StatusSeeOther},
			{"/referrals", url.Values{"to": {"Children's social care"}, "reference": {"CSC-991"}, "at": {"2026-03-09T09:55"}}, http.StatusSeeOther},
			{"/close", url.Values{"outcome": {" "}}, http.StatusUnprocessableEntity},
			{"/close", url.Values{"outcome": {"Warning; parents informed"}}, http.StatusSeeOther},
			{"/actions", url.Values{"action": {"late"}}, http.StatusUnprocessableEntity}, // closed
		}
		for _, s := range steps {
			if st, _, body := dsl.post("/incidents/"+id+s.path, s.form); st != s.want {
				t.Errorf("%s %v: %d, want %d\n%s", s.path, s.form, st, s.want, body)
			}
		}
		_, _, body = dsl.do("GET", "/incidents/"+id, nil)
		for _, want := range []string{"Tried to open a games site in maths, three times", "Tried to open a games site in maths, &lt;b&gt;twice", "the log shows three",
			"Unauthorised use of non-educational sites during lessons", "Spoke to Ada and her parents", "status: under-investigation",
			"referred to Children&#39;s social care", "CSC-991", "Warning; parents informed", `id="original"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the record lacks %q", want)
			}
		}
		// The list filters by status, category and person; a bad filter
		// names its field.
		for q, want := range map[string]bool{"status=closed": true, "status=open": false, "category=pornography": true, "category=games": false,
			"person=ada": true, "person=r-slt": false, "from=2026-03-09&to=2026-03-09": true, "from=2026-03-10": false} {
			_, _, body := dsl.do("GET", "/incidents?"+q, nil)
			if got := strings.Contains(body, `id="incident-`+id+`"`); got != want {
				t.Errorf("list %s: shown %v", q, got)
			}
		}
		if st, _, body := dsl.do("GET", "/incidents?status=lost", nil); st != http.StatusUnprocessableEntity || !strings.Contains(body, "status") {
			t.Errorf("bad status filter: %d", st)
		}

		// About staff: the teacher reports a colleague; sees only that they did.
		st, loc, _ = teacher.post("/incidents", url.Values{"occurred_at": {"2026-03-09T09:00"}, "category": {"private-communication-with-pupils"},
			"summary": {"Messages from a colleague to Ada"}, "people": {"r-staff, ada"}})
		if st != http.StatusSeeOther || loc != "/incidents?done=recorded" {
			t.Fatalf("staff incident: %d %s", st, loc)
		}
		_, _, body = teacher.do("GET", "/incidents", nil)
		if strings.Contains(body, "Messages from a colleague") || strings.Contains(body, "r-staff") || !strings.Contains(body, "that you reported") {
			t.Errorf("the teacher's list shows the staff incident:\n%s", body)
		}
		list, err := f.c.inc.List(context.Background(), safeguarding.Actor{Username: "r-dsl", Roles: []identity.Role{identity.RoleDSL}, Site: "school"},
			store.IncidentFilter{Person: "r-staff"})
		if err != nil || len(list) != 1 {
			t.Fatalf("staff incidents: %v %v", list, err)
		}
		sid := fmt.Sprint(list[0].ID)
		if st, _, body := teacher.do("GET", "/incidents/"+sid, nil); st != http.StatusOK || strings.Contains(body, "Messages from a colleague") || strings.Contains(body, `id="referral-form"`) {
			t.Errorf("teacher opens the staff incident: %d", st)
		}
		if st, _, _ := teacher.post("/incidents/"+sid+"/referrals", url.Values{"to": {"a friend"}, "at": {"2026-03-09T09:55"}}); st != http.StatusForbidden {
			t.Errorf("teacher refers the staff incident: %d", st)
		}
		_, _, body = dsl.do("GET", "/incidents/"+sid, nil)
		if !strings.Contains(body, `id="about-staff"`) || !strings.Contains(body, "local authority designated officer (LADO)") || !strings.Contains(body, `id="referral-form"`) {
			t.Errorf("the staff incident does not say where it goes:\n%s", body)
		}
		if st, _, _ := dsl.post("/incidents/"+sid+"/referrals", url.Values{"to": {"Headteacher and LADO"}, "reference": {"LADO-17"}, "at": {"2026-03-09T09:58"}}); st != http.StatusSeeOther {
			t.Errorf("dsl refers: %d", st)
		}

		// Add to incident from the activity search (the esafety lead, by
		// the event's key) and from the concern's page.
		es := f.browser()
		es.signIn("r-esafety-lead", "")
		_, _, body = es.do("GET", "/activity?person=ada", nil)
		key := eventKey(pupilEv)
		if !strings.Contains(body, `name="ref" value="`+key+`"`) {
			t.Fatalf("the activity page has no add-to-incident control for the event %s", key)
		}
		pupilOnly, err := f.c.inc.Record(context.Background(), safeguarding.Actor{Username: "r-esafety-lead", Roles: []identity.Role{identity.RoleESafetyLead}, Site: "school"},
			safeguarding.NewIncident{OccurredAt: f.clk.Now().Add(-time.Hour), Category: "malware", Summary: "USB stick", People: []string{"ada"}})
		if err != nil {
			t.Fatal(err)
		}
		pid := fmt.Sprint(pupilOnly.ID)
		noKeyRef := eventKey(activity.Event{Time: pupilEv.Time, Client: pupilEv.Client, Host: pupilEv.Host})
		for _, ev := range []url.Values{
			{"incident": {pid}, "kind": {"activity"}, "ref": {noKeyRef}},
			{"incident": {pid}, "kind": {"concern"}, "ref": {fmt.Sprint(f.concern.ID)}},
		} {
			if st, loc, body := es.post("/incidents/evidence", ev); st != http.StatusSeeOther || !strings.HasPrefix(loc, "/incidents/"+pid) {
				t.Errorf("add to incident %v: %d %s %s", ev, st, loc, body)
			}
		}
		if st, _, _ := es.post("/incidents/evidence", url.Values{"incident": {"99999"}, "kind": {"activity"}, "ref": {key}}); st != http.StatusUnprocessableEntity {
			t.Errorf("no such incident: %d", st)
		}
		if st, _, _ := es.post("/incidents/evidence", url.Values{"incident": {sid}, "kind": {"activity"}, "ref": {key}}); st != http.StatusForbidden {
			t.Errorf("esafety-lead adds to a staff incident: %d", st)
		}
		_, _, body = es.do("GET", "/incidents/"+pid, nil)
		if !strings.Contains(body, "games.example/play") || !strings.Contains(body, "someone is upsetting me") || strings.Contains(body, "<script>alert") {
			t.Errorf("the copied evidence:\n%s", body)
		}
		// From a concern's page: its link opens the form with the concern
		// shown; the teacher (who does not read concerns) cannot.
		_, _, body = es.do("GET", fmt.Sprintf("/concerns/%d", f.concern.ID), nil)
		newLink := fmt.Sprintf(`href="/incidents/new?concern=%d&amp;person=ada"`, f.concern.ID)
		if !strings.Contains(body, newLink) || !strings.Contains(body, `action="/incidents/evidence"`) {
			t.Errorf("the concern's page has no incident controls")
		}
		if st, _, body := es.do("GET", fmt.Sprintf("/incidents/new?concern=%d&person=ada", f.concern.ID), nil); st != http.StatusOK || !strings.Contains(body, "someone is upsetting me") {
			t.Errorf("new incident from a concern: %d", st)
		}
		if st, _, body := teacher.do("GET", fmt.Sprintf("/incidents/new?concern=%d", f.concern.ID), nil); st != http.StatusUnprocessableEntity || strings.Contains(body, "upsetting") {
			t.Errorf("a teacher's form shows a concern: %d", st)
		}
		// The teacher may not link a concern (reading concerns is not theirs).
		if st, _, _ := teacher.post("/incidents/evidence", url.Values{"incident": {id}, "kind": {"concern"}, "ref": {fmt.Sprint(f.concern.ID)}}); st != http.StatusForbidden && st != http.StatusUnprocessableEntity {
			t.Errorf("teacher links a concern: %d", st)
		}

		// The chronology: incidents and referrals, for readers of them.
		_, _, body = dsl.do("GET", "/people/ada/chronology?since=2026-03-09&until=2026-03-10", nil)
		for _, want := range []string{"incident " + id + ":", "referred to Children&#39;s social care", "incident " + sid + " referred to Headteacher and LADO", "incident " + pid + ":"} {
			if !strings.Contains(body, want) {
				t.Errorf("dsl's chronology lacks %q", want)
			}
		}
		_, _, body = es.do("GET", "/people/ada/chronology?since=2026-03-09&until=2026-03-10", nil)
		if !strings.Contains(body, "incident "+id+":") || strings.Contains(body, "LADO") || strings.Contains(body, "incident "+sid) {
			t.Errorf("esafety-lead's chronology shows the staff incident, or not the pupil's")
		}
		_, _, body = tech.do("GET", "/people/ada/chronology?since=2026-03-09&until=2026-03-10", nil)
		if strings.Contains(body, "incident "+id) {
			t.Errorf("technical's chronology shows an incident they did not report")
		}

		// Every view was audited; no summary reached the trail.
		recs, err := f.st.ListAudit(context.Background(), store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		views := 0
		for _, r := range recs {
			if r.Action == "incident.view" && strings.Contains(r.After, `"ada"`) {
				views++
			}
			if strings.Contains(r.After+r.Before, "games site in maths") || strings.Contains(r.After+r.Before, "Messages from a colleague") {
				t.Errorf("audit %s carries a summary", r.Action)
			}
		}
		if views < 5 {
			t.Errorf("%d views of ada's incidents audited", views)
		}
	})
}
