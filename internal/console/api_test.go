package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// token makes an API token for user (expiring in 90 days).
func (f *fixture) token(user string) string {
	f.t.Helper()
	tok, hash := NewAPIToken()
	now := f.clk.Now()
	if _, err := f.st.CreateAPIToken(context.Background(), store.Actor{Name: "office"}, store.APIToken{Name: "test", Username: user,
		Created: now, Expires: now.Add(90 * 24 * time.Hour)}, hash); err != nil {
		f.t.Fatal(err)
	}
	return tok
}

// api sends an API call with a bearer token ("" for none) and returns
// the status and the body.
func (f *fixture) api(method, path, token, body string, header ...string) (int, string) {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// events adds activity: n look-ups by ada (a pupil), one by r-teacher
// (staff), one by an unidentified device, a second apart before now.
func (f *fixture) events(n int) {
	f.t.Helper()
	now := f.clk.Now()
	var evs []activity.Event
	for i := range n {
		evs = append(evs, activity.Event{Time: now.Add(-time.Duration(i+1) * time.Second), Client: netip.MustParseAddr("10.20.0.7"), User: "ada",
			Groups: []string{"pupils-ks2"}, Host: "games.example", Categories: []string{"games"}, Verdict: "block", Point: activity.PointDNS})
	}
	evs = append(evs,
		activity.Event{Time: now.Add(-time.Minute), Client: netip.MustParseAddr("10.10.0.2"), User: "r-teacher", Groups: []string{"staff"},
			Host: "staffonly.example", Verdict: "allow", Point: activity.PointDNS},
		activity.Event{Time: now.Add(-time.Minute), Client: netip.MustParseAddr("10.99.0.3"), Groups: []string{"visitors"},
			Host: "device.example", Verdict: "allow", Point: activity.PointDNS})
	if err := f.st.InsertEvents(context.Background(), evs); err != nil {
		f.t.Fatal(err)
	}
}

// apiPath is a route's pattern as a path to call.
func apiPath(pattern, id string) (string, string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern+"nothing-here"
	}
	return method, strings.NewReplacer("{id}", id).Replace(path)
}

// TestAPIRoles: every role with a token, every API route: a role with
// the route's capability gets its answer (200, or 422 for an empty
// body), one without gets 403 naming the capability and no data; a
// pupil or visitor can have no token. Both databases.
func TestAPIRoles(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		f.events(3)
		f.investigation() // investigation 1, as the request
		id := fmt.Sprint(f.request.ID)
		for _, role := range identity.AllRoles() {
			user := "r-" + string(role)
			if role == identity.RolePupil || role == identity.RoleVisitor {
				_, hash := NewAPIToken()
				now := f.clk.Now()
				if _, err := f.st.CreateAPIToken(context.Background(), store.Actor{Name: "office"}, store.APIToken{Name: "x", Username: user,
					Created: now, Expires: now.Add(time.Hour)}, hash); err == nil {
					t.Errorf("a token for a %s", role)
				}
				continue
			}
			tok := f.token(user)
			for _, rt := range f.c.routes() {
				if !isAPI(rt.pattern) {
					continue
				}
				pathID := id
				if strings.HasPrefix(rt.pattern, "POST /api/v1/alerts/") {
					pathID = f.alertFor(role)
				}
				method, path := apiPath(rt.pattern, pathID)
				recordRefuses := false
				if strings.Contains(rt.pattern, "/incidents/{id}") {
					method, path = apiPath(rt.pattern, fmt.Sprint(f.incident.ID))
					recordRefuses = !safeguarding.Can([]identity.Role{role}, safeguarding.ReadPupilIncidents) && user != f.incident.ReportedBy
				}
				body := ""
				if method == "POST" {
					body = "{}"
				}
				st, out := f.api(method, path, tok, body)
				if recordRefuses {
					// The route lets them in; the record's rule does not
					// (an empty body is refused first, 422).
					if (st != http.StatusForbidden && st != http.StatusUnprocessableEntity) || strings.Contains(out, "class chat") {
						t.Errorf("%s %s: %d %s, want 403", role, rt.pattern, st, out)
					}
					continue
				}
				switch {
				case rt.need.kind == accessSignedIn && strings.HasSuffix(rt.pattern, "/"):
					if st != http.StatusNotFound {
						t.Errorf("%s %s: %d, want 404", role, path, st)
					}
					continue
				case rt.need.kind == accessSignedIn:
					if st != http.StatusOK {
						t.Errorf("%s %s: %d", role, path, st)
					}
					continue
				}
				allowed := rt.need.allows([]identity.Role{role})
				if allowed && !safeguarding.Can([]identity.Role{role}, rt.need.cap) && strings.Contains(out, "social.example") {
					t.Errorf("%s %s: a pupil's activity through the staff capability: %s", role, rt.pattern, out)
				}
				switch {
				case allowed && method == "GET" && st != http.StatusOK:
					t.Errorf("%s %s: %d %s, want 200", role, rt.pattern, st, out)
				case allowed && rt.pattern == "POST /api/v1/alerts/{id}/ack" && role.Trust() && st == http.StatusConflict:
					// Its school role acknowledged the same alert before.
				case allowed && rt.pattern == "POST /api/v1/alerts/{id}/ack" && st != http.StatusOK:
					// Acknowledging takes no body: {} is accepted.
					t.Errorf("%s %s: %d %s, want 200", role, rt.pattern, st, out)
				case allowed && method == "POST" && rt.pattern != "POST /api/v1/alerts/{id}/ack" && st != http.StatusUnprocessableEntity:
					t.Errorf("%s %s with {}: %d %s, want 422", role, rt.pattern, st, out)
				case !allowed:
					var e apiErr
					if st != http.StatusForbidden || json.Unmarshal([]byte(out), &e) != nil || e.Capability != string(rt.need.cap) {
						t.Errorf("%s %s: %d %s, want 403 naming %s", role, rt.pattern, st, out, rt.need.cap)
					}
					if strings.Contains(out, "ada") || strings.Contains(out, "example") {
						t.Errorf("%s %s: a refusal shows data: %s", role, rt.pattern, out)
					}
				}
				// The data itself, for the roles that may see it.
				if allowed && rt.pattern == "GET /api/v1/requests" && !strings.Contains(out, `"social.example"`) {
					t.Errorf("%s requests: %s", role, out)
				}
				if allowed && rt.pattern == "GET /api/v1/activity" {
					// A pupil's activity for these roles; a member of
					// staff's only for those who may see it.
					staff := safeguarding.Can([]identity.Role{role}, safeguarding.ViewNamedStaffActivity)
					pupils := safeguarding.Can([]identity.Role{role}, safeguarding.ViewNamedPupilActivity)
					if strings.Contains(out, `"ada"`) != pupils || strings.Contains(out, "staffonly.example") != staff {
						t.Errorf("%s activity: %s", role, out)
					}
				}
			}
			// Me.
			var me meView
			if st, out := f.api("GET", "/api/v1/me", tok, ""); st != http.StatusOK || json.Unmarshal([]byte(out), &me) != nil ||
				me.Username != user || !slices.Equal(me.Roles, []identity.Role{role}) {
				t.Errorf("%s me: %d %s", role, st, out)
			}
			// Counting by user names people: the named-activity roles only.
			st, out := f.api("GET", "/api/v1/activity/counts?by=user", tok, "")
			named := safeguarding.Can([]identity.Role{role}, safeguarding.ViewNamedPupilActivity)
			switch {
			case named && (st != http.StatusOK || !strings.Contains(out, `"user": "ada"`)):
				t.Errorf("%s counts by user: %d %s", role, st, out)
			case !named && (st != http.StatusForbidden || strings.Contains(out, "ada")):
				t.Errorf("%s counts by user: %d %s, want 403", role, st, out)
			}
			// Counts by category name nobody.
			if st, out := f.api("GET", "/api/v1/activity/counts?by=day,category,verdict", tok, ""); st != http.StatusOK ||
				!strings.Contains(out, `"category": "games"`) || strings.Contains(out, "ada") {
				t.Errorf("%s counts: %d %s", role, st, out)
			}
			// Counts by group, for every role: nobody named.
			if st, out := f.api("GET", "/api/v1/activity/counts?by=group,verdict", tok, ""); st != http.StatusOK ||
				!strings.Contains(out, `"group": "pupils-ks2"`) || !strings.Contains(out, `"group": "visitors"`) || strings.Contains(out, "ada") {
				t.Errorf("%s counts by group: %d %s", role, st, out)
			}
		}
		// Nothing reached the request.
		if r, _ := f.st.GetRequest(context.Background(), store.AllSites, f.request.ID); r.Status != store.StatusPending {
			t.Errorf("empty bodies changed the request: %s", r.Status)
		}
	})
}

// TestAPIUnauthenticated: without a valid token or a full session every
// path under /api/v1, known or not, answers 401; so does a token that
// is unknown, expired, revoked, or whose person is disabled or now a
// pupil.
func TestAPIUnauthenticated(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		paths := []string{"/api/v1/nothing", "/api/v1/", "/api/v1/requests/1/nothing"}
		for _, rt := range f.c.routes() {
			if isAPI(rt.pattern) {
				_, p := apiPath(rt.pattern, "1")
				paths = append(paths, p)
			}
		}
		check := func(what, tok string) {
			t.Helper()
			for _, p := range paths {
				for _, m := range []string{"GET", "POST", "DELETE"} {
					st, out := f.api(m, p, tok, "")
					if st != http.StatusUnauthorized || strings.Contains(out, "ada") {
						t.Errorf("%s: %s %s: %d %s", what, m, p, st, out)
					}
				}
			}
		}
		check("no token", "")
		check("unknown token", "sg_nothing")
		dsl := f.token("r-dsl")
		if st, _ := f.api("GET", "/api/v1/me", dsl, ""); st != http.StatusOK {
			t.Fatalf("a good token: %d", st)
		}
		if st, _ := f.api("GET", "/api/v1/me", "", "", "Authorization", "Basic "+dsl); st != http.StatusUnauthorized {
			t.Errorf("not a bearer: %d", st)
		}
		ctx := context.Background()
		admin := store.Actor{Name: "office"}
		// Disabled: refused at once, and revoked.
		tech := f.token("r-technical")
		if err := f.st.SetDisabled(ctx, admin, "r-technical", true); err != nil {
			t.Fatal(err)
		}
		if st, _ := f.api("GET", "/api/v1/me", tech, ""); st != http.StatusUnauthorized {
			t.Errorf("a disabled person's token: %d", st)
		}
		if err := f.st.SetDisabled(ctx, admin, "r-technical", false); err != nil {
			t.Fatal(err)
		}
		if st, _ := f.api("GET", "/api/v1/me", tech, ""); st != http.StatusUnauthorized {
			t.Errorf("a token revoked by disabling works again after enabling: %d", st)
		}
		// A wrong import making a teacher a pupil too.
		teacher := f.token("r-teacher")
		if err := f.st.UpdateUser(ctx, admin, identity.User{Username: "r-teacher", Roles: []identity.Role{identity.RolePupil, identity.RoleTeacher}}); err != nil {
			t.Fatal(err)
		}
		if st, _ := f.api("GET", "/api/v1/me", teacher, ""); st != http.StatusUnauthorized {
			t.Errorf("a pupil-and-teacher's token: %d", st)
		}
		// Revoked, and expired.
		list, err := f.st.ListAPITokens(ctx, store.AllSites)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range list {
			if tk.Username == "r-dsl" {
				if err := f.st.RevokeAPIToken(ctx, admin, tk.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		check("revoked", dsl)
		esafety := f.token("r-esafety-lead")
		f.clk.Add(90*24*time.Hour + time.Second)
		check("expired", esafety)
	})
}

// TestAPISession: the signed-in browser session works too; a
// state-changing call carried only by the cookie from another origin is
// refused; a session still owing its second factor is not enough.
func TestAPISession(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.people()
	b := f.browser()
	if st, _, _ := b.do("POST", "/login", url.Values{"username": {"r-dsl"}, "password": {testPassword}}); st != http.StatusSeeOther {
		t.Fatalf("sign in: %d", st)
	}
	if st, _, _ := b.do("GET", "/api/v1/me", nil); st != http.StatusUnauthorized {
		t.Errorf("second factor due: %d", st)
	}
	b = f.browser()
	b.signIn("r-dsl", "")
	st, _, body := b.do("GET", "/api/v1/me", nil)
	if st != http.StatusOK || !strings.Contains(body, `"username": "r-dsl"`) {
		t.Fatalf("me by session: %d %s", st, body)
	}
	deny := func(hdr ...string) (int, string) {
		req, _ := http.NewRequest("POST", f.srv.URL+fmt.Sprintf("/api/v1/requests/%d/deny", f.request.ID), strings.NewReader(`{"reason":"no"}`))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := b.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	if st, out := deny("Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"); st != http.StatusForbidden {
		t.Errorf("a cross-site cookie POST: %d %s", st, out)
	}
	if r, _ := f.st.GetRequest(context.Background(), store.AllSites, f.request.ID); r.Status != store.StatusPending {
		t.Fatalf("the cross-site POST decided the request: %s", r.Status)
	}
	if st, out := deny("Sec-Fetch-Site", "same-origin"); st != http.StatusOK {
		t.Errorf("a same-origin POST: %d %s", st, out)
	}
	if r, _ := f.st.GetRequest(context.Background(), store.AllSites, f.request.ID); r.Status != store.StatusDenied {
		t.Errorf("not denied: %s", r.Status)
	}
}

// TestAPIInput: bad input answers 422 naming the field, unknown JSON
// fields and query parameters included; an unknown record 404.
func TestAPIInput(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.people()
	dsl := f.token("r-dsl")
	id := fmt.Sprint(f.request.ID)
	for _, c := range []struct {
		method, path, body, field string
	}{
		{"POST", "/api/v1/grants", `{"to":"user:ada","category":"games","for":"45m","reason":"x","colour":"red"}`, "colour"},
		{"POST", "/api/v1/grants", `{"to":"ada","category":"games","for":"45m","reason":"x"}`, "to"},
		{"POST", "/api/v1/grants", `{"to":"group:nope","category":"games","for":"45m","reason":"x"}`, "to"},
		{"POST", "/api/v1/grants", `{"to":"user:ada","category":"games","target":"a.example","for":"45m","reason":"x"}`, "category"},
		{"POST", "/api/v1/grants", `{"to":"user:ada","category":"games","for":"soon","reason":"x"}`, "for"},
		{"POST", "/api/v1/grants", `{"to":"user:ada","category":"games","for":"45m"}`, "reason"},
		{"POST", "/api/v1/grants", `{"to":"user:ada","category":7,"for":"45m","reason":"x"}`, "category"},
		{"POST", "/api/v1/grants", `not json`, "body"},
		{"POST", "/api/v1/requests/" + id + "/approve", `{"for":"1h","scope":"user","reason":"x","extra":1}`, "extra"},
		{"POST", "/api/v1/requests/" + id + "/approve", `{"for":"1h","scope":"everyone","reason":"x"}`, "scope"},
		{"POST", "/api/v1/requests/" + id + "/approve", `{"for":"7d","scope":"user","reason":"x"}`, "code"},
		{"POST", "/api/v1/requests/" + id + "/deny", `{}`, "reason"},
		{"GET", "/api/v1/activity?colour=red", "", "colour"},
		{"GET", "/api/v1/activity?verdict=maybe", "", "verdict"},
		{"GET", "/api/v1/activity?limit=0", "", "limit"},
		{"GET", "/api/v1/activity?cursor=xyz", "", "cursor"},
		{"GET", "/api/v1/activity?since=yesterday", "", "since"},
		{"GET", "/api/v1/activity/counts?by=colour", "", "by"},
		{"GET", "/api/v1/activity/counts?by=group,user", "", "by"},
		{"GET", "/api/v1/requests?status=maybe", "", "status"},
		{"GET", "/api/v1/audit?limit=x", "", "limit"},
	} {
		st, out := f.api(c.method, c.path, dsl, c.body)
		var e apiErr
		if st != http.StatusUnprocessableEntity || json.Unmarshal([]byte(out), &e) != nil || e.Field != c.field || !strings.Contains(e.Error, c.field) {
			t.Errorf("%s %s %s: %d %s, want 422 naming %s", c.method, c.path, c.body, st, out, c.field)
		}
	}
	for _, p := range []string{"/api/v1/requests/999/deny", "/api/v1/requests/x/deny"} {
		if st, out := f.api("POST", p, dsl, `{"reason":"no"}`); st != http.StatusNotFound {
			t.Errorf("%s: %d %s, want 404", p, st, out)
		}
	}
	// Illegal content can never be granted: 403.
	if st, out := f.api("POST", "/api/v1/grants", dsl, `{"to":"user:ada","category":"illegal","for":"45m","reason":"x"}`); st != http.StatusForbidden {
		t.Errorf("an illegal grant: %d %s", st, out)
	}
	if r, _ := f.st.GetRequest(context.Background(), store.AllSites, f.request.ID); r.Status != store.StatusPending {
		t.Errorf("bad input changed the request: %s", r.Status)
	}
}

// TestAPIActivityPages: the cursor walks every visible event once,
// newest first, across pages; a search naming a person is audited with
// object user:NAME.
func TestAPIActivityPages(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		f.events(7)
		// Two events in the same microsecond, across a page boundary.
		same := f.clk.Now().Add(-time.Hour)
		if err := f.st.InsertEvents(context.Background(), []activity.Event{
			{Time: same, Client: netip.MustParseAddr("10.20.0.7"), User: "ada", Host: "a.example", Verdict: "allow", Point: activity.PointDNS},
			{Time: same, Client: netip.MustParseAddr("10.20.0.7"), User: "ada", Host: "b.example", Verdict: "allow", Point: activity.PointDNS},
		}); err != nil {
			t.Fatal(err)
		}
		tok := f.token("r-technical")
		var hosts []string
		cursor, pages := "", 0
		for {
			path := "/api/v1/activity?user=ada&limit=4"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			st, out := f.api("GET", path, tok, "")
			var page struct {
				Events []eventView `json:"events"`
				Next   string      `json:"next"`
			}
			if st != http.StatusOK || json.Unmarshal([]byte(out), &page) != nil {
				t.Fatalf("page %d: %d %s", pages, st, out)
			}
			pages++
			for _, e := range page.Events {
				if e.User != "ada" {
					t.Errorf("another person: %+v", e)
				}
				hosts = append(hosts, e.Host)
			}
			if page.Next == "" || pages > 5 {
				break
			}
			cursor = page.Next
		}
		slices.Sort(hosts)
		want := []string{"a.example", "b.example"}
		for range 7 {
			want = append(want, "games.example")
		}
		slices.Sort(want)
		if pages != 3 || !slices.Equal(hosts, want) {
			t.Errorf("%d pages, hosts %v, want %v", pages, hosts, want)
		}
		// Without a filter, two at a time: the member of staff's event,
		// which technical may not see, is passed over between batches.
		var seen []string
		cursor, pages = "", 0
		for pages < 10 {
			path := "/api/v1/activity?limit=2"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			st, out := f.api("GET", path, tok, "")
			var page struct {
				Events []eventView `json:"events"`
				Next   string      `json:"next"`
			}
			if st != http.StatusOK || json.Unmarshal([]byte(out), &page) != nil || len(page.Events) > 2 {
				t.Fatalf("page %d: %d %s", pages, st, out)
			}
			pages++
			for _, e := range page.Events {
				seen = append(seen, e.Host)
			}
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		slices.Sort(seen)
		want = append(want, "device.example")
		slices.Sort(want)
		if !slices.Equal(seen, want) || pages != 5 {
			t.Errorf("unfiltered: %d pages, %v, want %v", pages, seen, want)
		}
		// The group filter, and the technical role not seeing staff.
		st, out := f.api("GET", "/api/v1/activity?group=visitors", tok, "")
		if st != http.StatusOK || !strings.Contains(out, "device.example") || strings.Contains(out, "games.example") {
			t.Errorf("group filter: %d %s", st, out)
		}
		if st, out := f.api("GET", "/api/v1/activity?user=r-teacher", tok, ""); st != http.StatusForbidden || !strings.Contains(out, string(safeguarding.ViewNamedStaffActivity)) {
			t.Errorf("a member of staff's activity for technical: %d %s", st, out)
		}
		recs, err := f.st.ListAudit(context.Background(), store.AuditFilter{Action: "api.activity.view"})
		if err != nil {
			t.Fatal(err)
		}
		named := 0
		for _, r := range recs {
			if r.Object == "user:ada" && r.Actor == "r-technical" && strings.Contains(r.Roles, "technical") {
				named++
			}
		}
		if named != 3 {
			t.Errorf("audited %d views of ada, want 3: %+v", named, recs)
		}
	})
}

// TestAPIGrant: a teacher's grant through the API takes effect in the
// engine's decisions; one that would not open its cell is refused.
// Both databases.
func TestAPIGrant(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		tok := f.token("r-teacher")
		ctx := context.Background()
		decide := func(host string) policy.Verdict {
			list, err := f.st.ActiveOverrides(ctx, store.AllSites, f.clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			snap := f.c.snap()
			groups, _ := snap.UserGroups("ada", []string{"pupils-ks2"})
			return snap.Decide(&policy.Query{Host: host, User: "ada", Groups: groups, Client: netip.MustParseAddr("10.20.0.7"), At: f.clk.Now(),
				Overrides: policy.NewOverrides(list)}).Verdict
		}
		if v := decide("social.example"); v == policy.Allow {
			t.Fatalf("social media before the grant: %v", v)
		}
		st, out := f.api("POST", "/api/v1/grants", tok, `{"to":"user:ada","category":"social-media","for":"45m","reason":"a lesson on privacy"}`)
		if st != http.StatusCreated || !strings.Contains(out, `"kind": "grant"`) {
			t.Fatalf("grant: %d %s", st, out)
		}
		if v := decide("social.example"); v != policy.Allow {
			t.Errorf("social media after the grant: %v", v)
		}
		// games is a block cell for pupils: a grant cannot open it.
		if st, out := f.api("POST", "/api/v1/grants", tok, `{"to":"user:ada","category":"games","for":"45m","reason":"x"}`); st != http.StatusUnprocessableEntity {
			t.Errorf("a grant of a block cell: %d %s", st, out)
		}
		if v := decide("games.example"); v == policy.Allow {
			t.Errorf("games allowed")
		}
		// Unknown grantee.
		if st, out := f.api("POST", "/api/v1/grants", tok, `{"to":"user:nobody","category":"social-media","for":"45m","reason":"x"}`); st != http.StatusUnprocessableEntity || !strings.Contains(out, `"field": "to"`) {
			t.Errorf("an unknown grantee: %d %s", st, out)
		}
		// A DSL approves the request by API.
		dsl := f.token("r-dsl")
		st, out = f.api("POST", fmt.Sprintf("/api/v1/requests/%d/approve", f.request.ID), dsl, `{"for":"1h","scope":"user","reason":"homework"}`)
		if st != http.StatusOK {
			t.Fatalf("approve: %d %s", st, out)
		}
		if r, _ := f.st.GetRequest(ctx, store.AllSites, f.request.ID); r.Status != store.StatusApproved || r.DecidedBy != "r-dsl" {
			t.Errorf("request: %+v", r)
		}
		if st, _ := f.api("POST", fmt.Sprintf("/api/v1/requests/%d/deny", f.request.ID), dsl, `{"reason":"no"}`); st != http.StatusUnprocessableEntity {
			t.Errorf("deciding twice: %d", st)
		}
	})
}

// TestOpenAPI: every API route is in the OpenAPI document with its
// capability, and every path of the document is a route.
func TestOpenAPI(t *testing.T) {
	f := newFixture(t, "sqlite")
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("%v %q", err, doc.OpenAPI)
	}
	inTable := map[string]bool{}
	for _, rt := range f.c.routes() {
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !isAPI(rt.pattern) || !ok {
			continue
		}
		p := strings.TrimPrefix(path, "/api/v1")
		key := strings.ToLower(method) + " " + p
		inTable[key] = true
		o, ok := doc.Paths[p][strings.ToLower(method)]
		if !ok {
			t.Errorf("%s is not in openapi.json", rt.pattern)
			continue
		}
		want := string(rt.need.cap)
		if rt.need.kind == accessSignedIn {
			want = "signed-in"
		}
		if o["x-capability"] != want {
			t.Errorf("%s: x-capability %v, want %s", rt.pattern, o["x-capability"], want)
		}
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if !inTable[m+" "+p] {
				t.Errorf("openapi.json has %s %s, which is not a route", m, p)
			}
		}
	}
	// It is served, to a signed-in caller only.
	f.people()
	if st, _ := f.api("GET", "/api/v1/openapi.json", "", ""); st != http.StatusUnauthorized {
		t.Errorf("openapi.json without a token: %d", st)
	}
	if st, out := f.api("GET", "/api/v1/openapi.json", f.token("r-governor"), ""); st != http.StatusOK || !strings.Contains(out, `"openapi": "3.1.0"`) {
		t.Errorf("openapi.json: %d", st)
	}
}

// TestAPIPolicyTable: the table's cells from the policy.
func TestAPIPolicyTable(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.people()
	st, out := f.api("GET", "/api/v1/policy/table", f.token("r-governor"), "")
	var tv policyTableView
	if st != http.StatusOK || json.Unmarshal([]byte(out), &tv) != nil {
		t.Fatalf("%d %s", st, out)
	}
	if !slices.Equal(tv.Groups, []string{"staff", "pupils-ks2", "visitors"}) {
		t.Fatalf("groups %v", tv.Groups)
	}
	// The same words as the policy page (internal/policytable), the kind
	// for styling, and the policy file's own cell.
	kinds, rules := map[string][]string{}, map[string][]string{}
	var permission string
	for _, r := range tv.Rows {
		for _, c := range r.Cells {
			kinds[r.Category] = append(kinds[r.Category], c.Kind)
			rules[r.Category] = append(rules[r.Category], c.Rule)
			if c.Kind == "permission" {
				permission = c.Text
			}
		}
	}
	if !slices.Equal(kinds["social-media"], []string{"allow", "permission", "block"}) || !slices.Equal(kinds["games"], []string{"block", "block", "block"}) {
		t.Errorf("kinds %v", kinds)
	}
	if !slices.Equal(rules["social-media"], []string{"allow", "permission", "block"}) || permission != "Allowed with staff permission" {
		t.Errorf("rules %v, permission cell %q", rules, permission)
	}
}

// TestAPIAuditAndConcerns: the audit trail's latest records (the read
// itself among them, with the token that made it); concerns for the
// roles that read them, the read audited.
func TestAPIAuditAndConcerns(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		ctx := context.Background()
		if _, err := f.st.CreateConcern(ctx, store.Concern{User: "ada", Client: "10.20.0.7", Host: "games.example", Text: "someone is being unkind"}); err != nil {
			t.Fatal(err)
		}
		esafety := f.token("r-esafety-lead")
		st, out := f.api("GET", "/api/v1/concerns", esafety, "")
		if st != http.StatusOK || !strings.Contains(out, "someone is being unkind") {
			t.Fatalf("concerns: %d %s", st, out)
		}
		tech := f.token("r-technical")
		if st, out := f.api("GET", "/api/v1/concerns", tech, ""); st != http.StatusForbidden || strings.Contains(out, "unkind") {
			t.Errorf("concerns for technical: %d %s", st, out)
		}
		st, out = f.api("GET", "/api/v1/audit?limit=3", tech, "")
		var page struct {
			Records []store.AuditRecord `json:"records"`
		}
		if st != http.StatusOK || json.Unmarshal([]byte(out), &page) != nil || len(page.Records) != 3 {
			t.Fatalf("audit: %d %s", st, out)
		}
		last := page.Records[2]
		if last.Action != "api.audit.view" || last.Actor != "r-technical" || last.Roles != "technical" || !strings.Contains(last.After, `"api_token":`) {
			t.Errorf("the read: %+v", last)
		}
		var viewed bool
		for _, r := range page.Records {
			if r.Action == "api.concerns.view" && r.Actor == "r-esafety-lead" && strings.Contains(r.After, `"ada"`) {
				viewed = true
			}
		}
		if !viewed {
			t.Errorf("the concerns read is not audited: %+v", page.Records)
		}
	})
}

// TestAPIRequestStatus: pending, decided and all.
func TestAPIRequestStatus(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.people()
	dsl := f.token("r-dsl")
	if st, out := f.api("POST", fmt.Sprintf("/api/v1/requests/%d/deny", f.request.ID), dsl, `{"reason":"not for homework"}`); st != http.StatusOK {
		t.Fatalf("deny: %d %s", st, out)
	}
	for status, want := range map[string]bool{"": false, "pending": false, "decided": true, "denied": true, "approved": false, "all": true} {
		st, out := f.api("GET", "/api/v1/requests?status="+status, dsl, "")
		if st != http.StatusOK || strings.Contains(out, "social.example") != want {
			t.Errorf("status %q: %d %s", status, st, out)
		}
	}
}
