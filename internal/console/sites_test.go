package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// schoolBMarks are what school-b's seeded records say: its pupil, the
// hosts of her request, concern and activity, the incidents' summaries.
// None may reach school-a's staff.
var schoolBMarks = []string{`"ada"`, "social.example", "games.example", "class chat", "Adult searches", "upsetting me"}

// postBodies are well-formed bodies for the POST routes that name a
// record, so that the record itself is looked up (and refused).
var postBodies = map[string]string{
	"POST /api/v1/requests/{id}/approve":    `{"for":"1h","reason":"homework","scope":"user"}`,
	"POST /api/v1/requests/{id}/deny":       `{"reason":"no"}`,
	"POST /api/v1/incidents/{id}/actions":   `{"action":"phoned home"}`,
	"POST /api/v1/incidents/{id}/sanctions": `{"action":"removal_of_access","for":"7d","people":["ada"]}`,
	"POST /api/v1/sanctions/{id}/revoke":    `{"reason":"appeal"}`,
	"POST /api/v1/alerts/{id}/close":        `{"outcome":"false-positive","note":"x"}`,
}

// TestCrossSchoolIsolation: school-b's records (the fixture's: a request,
// a concern, incidents, an investigation, alerts, activity, sanctions'
// incident) are walked by school-a's dsl over every API endpoint and
// every console page that takes an id: each answers 404 or 403, or a
// list without school-b's data; never school-b's record. The trust's dsl
// sees school-b's records. Both databases.
func TestCrossSchoolIsolation(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.people() // school-b's records are the fixture's, at its site "school"
		f.events(3)
		inv, _ := f.investigation()
		hash, err := identity.HashPassword(testPassword, identity.HashParams{Time: 1, MemKiB: 1024, Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.st.CreateUser(ctx, store.Actor{Name: "office"}, identity.User{Username: "a-dsl", DisplayName: "School A's DSL",
			Roles: []identity.Role{identity.RoleDSL}, Site: "school-a"}, hash); err != nil {
			t.Fatal(err)
		}
		ids := func(pattern string) string {
			switch {
			case strings.Contains(pattern, "/alerts/"):
				return fmt.Sprint(f.alerts[identity.RoleDSL])
			case strings.Contains(pattern, "/incidents/"):
				return fmt.Sprint(f.incident.ID)
			case strings.Contains(pattern, "/investigations/"):
				return fmt.Sprint(inv)
			case strings.Contains(pattern, "/concerns/"):
				return fmt.Sprint(f.concern.ID)
			}
			return fmt.Sprint(f.request.ID)
		}
		leaks := func(body string) string {
			for _, m := range schoolBMarks {
				if strings.Contains(body, m) {
					return m
				}
			}
			return ""
		}

		tok := f.token("a-dsl")
		walked := 0
		for _, rt := range f.c.routes() {
			if !isAPI(rt.pattern) {
				continue
			}
			walked++
			method, path := apiPath(rt.pattern, ids(rt.pattern))
			body := ""
			if method == "POST" {
				// A well-formed body, so that the record is looked up.
				body = postBodies[rt.pattern]
				if body == "" {
					body = "{}"
				}
			}
			st, out := f.api(method, path, tok, body)
			if m := leaks(out); m != "" {
				t.Errorf("school-a's dsl %s: %d, school-b's data (%s): %.200s", rt.pattern, st, m, out)
			}
			if strings.Contains(rt.pattern, "{id}") && st != http.StatusNotFound && st != http.StatusForbidden {
				t.Errorf("school-a's dsl %s: %d %.200s, want 404 or 403", rt.pattern, st, out)
			}
		}
		if walked < 20 {
			t.Fatalf("walked %d API routes", walked)
		}
		// Nothing of school-b's was changed by the POSTs.
		if r, err := f.st.GetRequest(ctx, store.AllSites, f.request.ID); err != nil || r.Status != store.StatusPending {
			t.Fatalf("school-b's request after school-a's calls: %+v %v", r, err)
		}
		if list, _ := f.st.ActiveOverrides(ctx, "school", f.clk.Now()); len(list) != 0 {
			t.Fatalf("school-b's overrides after school-a's calls: %+v", list)
		}

		// The console's pages that take an id, signed in as school-a's dsl.
		b := f.browser()
		b.signIn("a-dsl", "")
		pages := 0
		for _, rt := range f.c.routes() {
			if isAPI(rt.pattern) || !strings.HasPrefix(rt.pattern, "GET /") || !strings.Contains(rt.pattern, "{") ||
				rt.pattern == "GET /static/{file}" || strings.HasPrefix(rt.pattern, "GET /login/") || rt.pattern == "GET /{$}" {
				continue
			}
			pages++
			path := strings.TrimPrefix(rt.pattern, "GET ")
			path = strings.NewReplacer("{id}", ids(rt.pattern), "{username}", "ada", "{name}", "ada", "{shot}", "1").Replace(path)
			st, _, out := b.do("GET", path, nil)
			if m := leaks(out); m != "" {
				t.Errorf("school-a's dsl %s: %d, school-b's data (%s)", path, st, m)
			}
			if st != http.StatusNotFound && st != http.StatusForbidden {
				t.Errorf("school-a's dsl %s: %d, want 404 or 403", path, st)
			}
		}
		if pages < 10 {
			t.Fatalf("walked %d pages", pages)
		}

		// The trust's dsl sees school-b's records, and the trust page.
		trust := f.token("r-trust-dsl")
		for _, c := range []struct{ path, want string }{
			{"/api/v1/requests", "social.example"},
			{fmt.Sprintf("/api/v1/incidents/%d", f.incident.ID), "class chat"},
			{"/api/v1/concerns", "upsetting me"},
			{"/api/v1/activity?user=ada", "games.example"},
			{"/api/v1/trust/summary", `"site": "school"`},
		} {
			if st, out := f.api("GET", c.path, trust, ""); st != http.StatusOK || !strings.Contains(out, c.want) {
				t.Errorf("the trust's dsl %s: %d %.300s", c.path, st, out)
			}
		}
		if st, _ := f.api("GET", "/api/v1/trust/summary", tok, ""); st != http.StatusForbidden {
			t.Errorf("school-a's dsl reads the trust summary: %d", st)
		}

		// Counts without names are per school too: school-b's events,
		// live (not rolled up yet) and then rolled up, are in the trust's
		// counts and never in school-a's.
		for _, phase := range []string{"live", "rolled up"} {
			if phase == "rolled up" {
				f.clk.Add(3 * time.Hour)
				if _, err := f.st.Rollup(ctx, f.clk.Now()); err != nil {
					t.Fatal(err)
				}
			}
			f.clk.Add(11 * time.Second) // past the counts' cache and their live lag
			path := "/api/v1/activity/counts?by=verdict&since=" + f.clk.Now().Add(-48*time.Hour).UTC().Format(time.RFC3339)
			if st, out := f.api("GET", path, tok, ""); st != http.StatusOK || !strings.Contains(out, `"rows": []`) {
				t.Errorf("%s: school-a's dsl counts school-b's events: %d %.300s", phase, st, out)
			}
			if st, out := f.api("GET", path, trust, ""); st != http.StatusOK || !strings.Contains(out, `"count": `) {
				t.Errorf("%s: the trust's dsl does not count school-b's events: %d %.300s", phase, st, out)
			}
		}
	})
}
