package console

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// TestRouteTable walks the route table: every route has an entry in the
// permission table, and a route without one is refused.
func TestRouteTable(t *testing.T) {
	f := newFixture(t, "sqlite")
	seen := map[string]bool{}
	for _, rt := range f.c.routes() {
		if err := rt.need.valid(); err != nil {
			t.Errorf("%s: %v", rt.pattern, err)
		}
		if seen[rt.pattern] {
			t.Errorf("%s twice", rt.pattern)
		}
		seen[rt.pattern] = true
		if rt.handle == nil {
			t.Errorf("%s: no handler", rt.pattern)
		}
	}
	for _, bad := range []access{{}, {kind: accessCap}, {kind: accessCap, cap: "launch-missiles"}} {
		if bad.valid() == nil {
			t.Errorf("%+v accepted", bad)
		}
		if bad.allows(identity.AllRoles()) && bad.kind != accessCap {
			t.Errorf("%+v allows", bad)
		}
	}
	// Without a session every route but the public ones sends to sign in.
	b := f.browser()
	for _, rt := range f.c.routes() {
		if rt.need.kind == accessPublic {
			continue
		}
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = strings.NewReplacer("{$}", "", "{id}", "1", "{username}", "ada", "{name}", "ada", "{addr}", "10.20.0.7").Replace(path)
		if isAPI(rt.pattern) {
			continue // TestAPIUnauthenticated: 401
		}
		st, loc, _ := b.do(method, path, url.Values{"csrf": {"x"}})
		if st != http.StatusSeeOther || loc != "/login" {
			t.Errorf("%s without a session: %d %s", rt.pattern, st, loc)
		}
	}
	// Every menu entry is a route with the same permission entry.
	for _, n := range nav {
		if rt, ok := findRoute(f.c, "GET "+n.href); !ok || rt.need != n.need {
			t.Errorf("menu %s: route %+v", n.href, rt.need)
		}
	}
}

func findRoute(c *Console, pattern string) (route, bool) {
	if pattern == "GET /" {
		pattern = "GET /{$}"
	}
	for _, rt := range c.routes() {
		if rt.pattern == pattern {
			return rt, true
		}
	}
	return route{}, false
}

// TestRolesByRoute signs in every role and tries every route: a role
// with the route's capability gets its page (200), a redirect (303) or a
// form error (422, the forms here are empty); one without gets 403 and no
// data. Pupils and visitors cannot sign in at all.
func TestRolesByRoute(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.people()
	f.investigation() // incident and investigation 1, screenshot 1
	// A failed check and its finding, for /checks/{id} and /findings/{id}.
	check, findings, err := f.st.AddCheck(context.Background(), store.Actor{Name: "r-technical"}, store.Check{Site: config.DefaultSiteID,
		At: f.clk.Now(), Target: "PC 1", Tested: "gambling", Result: store.CheckFail}, []string{"gambling loaded"})
	if err != nil {
		t.Fatal(err)
	}
	sar, err := f.st.CreateSubjectRequest(context.Background(), store.Actor{Name: "r-dsl"}, "school", "ada", f.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range identity.AllRoles() {
		t.Run(string(role), func(t *testing.T) {
			b := f.browser()
			user := "r-" + string(role)
			if role == identity.RolePupil || role == identity.RoleVisitor {
				st, _, body := b.do("POST", "/login", url.Values{"username": {user}, "password": {testPassword}})
				if st != http.StatusOK || b.cookie() != "" || !strings.Contains(body, "cannot sign in") {
					t.Fatalf("a %s signing in: %d cookie %q", role, st, b.cookie())
				}
				if st, loc, _ := b.do("GET", "/", nil); st != http.StatusSeeOther || loc != "/login" {
					t.Errorf("dashboard without a session: %d %s", st, loc)
				}
				return
			}
			b.signIn(user, "")
			// The menu links exactly the pages the role's routes open.
			_, _, home := b.do("GET", "/", nil)
			for _, n := range nav {
				found := false
				for _, rt := range f.c.routes() {
					if rt.pattern != "GET "+n.href && rt.pattern != "GET "+n.href+"{$}" {
						continue
					}
					found = true
					if linked := strings.Contains(home, `<a href="`+n.href+`"`); linked != rt.need.allows([]identity.Role{role}) {
						t.Errorf("menu: %s linked %v, its route allows %v", n.href, linked, !linked)
					}
				}
				if !found {
					t.Errorf("menu: %s has no GET route", n.href)
				}
			}
			id := fmt.Sprint(f.request.ID)
			for _, rt := range f.c.routes() {
				if rt.need.kind != accessCap {
					continue
				}
				method, path, _ := strings.Cut(rt.pattern, " ")
				pathID := id
				if strings.HasPrefix(path, "/concerns/") {
					pathID = fmt.Sprint(f.concern.ID)
				}
				// An incident's own pages open for those who read it in
				// full (the lead roles, its reporter): the others get 403
				// from the record's rule, or 422 for an empty form.
				recordRefuses := false
				if strings.Contains(path, "/incidents/{id}") {
					pathID = fmt.Sprint(f.incident.ID)
					recordRefuses = !safeguarding.Can([]identity.Role{role}, safeguarding.ReadPupilIncidents) && user != f.incident.ReportedBy
				}
				if strings.HasPrefix(path, "/checks/") {
					pathID = fmt.Sprint(check.ID)
				}
				if strings.HasPrefix(path, "/findings/") {
					pathID = fmt.Sprint(findings[0].ID)
				}
				if strings.HasPrefix(path, "/subject-access/") {
					pathID = fmt.Sprint(sar.ID)
				}
				if strings.HasPrefix(path, "/alerts/") || strings.HasPrefix(path, "/api/v1/alerts/") {
					pathID = f.alertFor(role)
				}
				if strings.Contains(path, "{addr}") {
					f.sessions.Set(netip.MustParseAddr("10.20.0.7"), "ada", time.Hour) // a device to end
				}
				path = strings.NewReplacer("{$}", "", "{id}", pathID, "{username}", "ada", "{name}", "ada", "{addr}", "10.20.0.7", "{shot}", "1").Replace(path)
				var st int
				var body string
				if method == "GET" {
					st, _, body = b.do("GET", path, nil)
				} else {
					st, _, body = b.post(path, url.Values{})
				}
				allowed := rt.need.allows([]identity.Role{role})
				// A route opened by its second capability alone (slt on the
				// activity pages: staff rows only) shows no pupil: ada's
				// chronology is refused and her rows are left out.
				altOnly := allowed && !safeguarding.Can([]identity.Role{role}, rt.need.cap)
				if altOnly && strings.Contains(body, "social.example") {
					t.Errorf("%s: %s sees a pupil's activity", rt.pattern, role)
				}
				if recordRefuses && strings.Contains(body, "class chat") {
					t.Errorf("%s: %s sees an incident they did not report", rt.pattern, role)
				}
				switch {
				case recordRefuses && (st == http.StatusForbidden || st == http.StatusUnprocessableEntity):
				case altOnly && st == http.StatusForbidden:
				case allowed && st == http.StatusConflict && (rt.pattern == "POST /api/v1/alerts/{id}/ack" || role.Trust() && rt.pattern == "POST /alerts/{id}/ack"):
					// The page's own route acknowledged it just before (a
					// trust role: its school role, the same alert).
				case allowed && st != http.StatusOK && st != http.StatusSeeOther && st != http.StatusUnprocessableEntity:
					t.Errorf("%s: %d, want the page", rt.pattern, st)
				case !allowed && st != http.StatusForbidden:
					t.Errorf("%s: %d, want 403", rt.pattern, st)
				}
				if !allowed && (strings.Contains(body, "ada") || strings.Contains(body, "social.example")) {
					t.Errorf("%s: a refused page shows the request", rt.pattern)
				}
			}
			// The dashboard names nobody, whoever asks.
			if _, _, body := b.do("GET", "/", nil); strings.Contains(body, "ada") || !strings.Contains(body, `id="pending">1<`) {
				t.Errorf("dashboard: %s", body)
			}
		})
	}
	// A pupil who is also marked a teacher (a wrong import) stays out.
	if err := f.st.UpdateUser(context.Background(), store.Actor{Name: "office"}, identity.User{Username: "r-pupil", Roles: []identity.Role{identity.RolePupil, identity.RoleTeacher}}); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	if st, _, _ := b.do("POST", "/login", url.Values{"username": {"r-pupil"}, "password": {testPassword}}); st != http.StatusOK || b.cookie() != "" {
		t.Errorf("pupil and teacher signed in: %d", st)
	}
	if st, _ := f.st.GetRequest(context.Background(), store.AllSites, f.request.ID); st.Status != store.StatusPending {
		t.Errorf("empty forms changed the request: %s", st.Status)
	}
}

// TestCrossSite: a state-changing request from another site is refused,
// so is a console form without its session's token; a same-origin one
// passes.
func TestCrossSite(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.people()
	b := f.browser()
	if st, _, _ := b.do("POST", "/login", url.Values{"username": {"r-teacher"}, "password": {testPassword}}, "Sec-Fetch-Site", "cross-site"); st != http.StatusForbidden || b.cookie() != "" {
		t.Errorf("cross-site sign-in: %d", st)
	}
	if st, _, _ := b.do("POST", "/login", url.Values{"username": {"r-teacher"}, "password": {testPassword}}, "Origin", "http://evil.example"); st != http.StatusForbidden {
		t.Errorf("sign-in from another origin: %d", st)
	}
	b.signIn("r-teacher", "")
	b.do("GET", "/", nil)
	form := url.Values{"csrf": {b.csrf}}
	if st, _, _ := b.do("POST", "/logout/everywhere", form, "Origin", "http://evil.example"); st != http.StatusForbidden {
		t.Errorf("cross-site sign out: %d", st)
	}
	if st, _, _ := b.do("POST", "/logout/everywhere", url.Values{"csrf": {"forged"}}); st != http.StatusForbidden {
		t.Errorf("a forged token: %d", st)
	}
	if st, _, _ := b.do("GET", "/", nil); st != http.StatusOK {
		t.Fatalf("still signed in: %d", st)
	}
	if st, loc, _ := b.do("POST", "/logout/everywhere", form, "Origin", f.srv.URL, "Sec-Fetch-Site", "same-origin"); st != http.StatusSeeOther || loc != "/login" {
		t.Errorf("same-origin sign out: %d %s", st, loc)
	}
	if st, loc, _ := b.do("GET", "/", nil); st != http.StatusSeeOther || loc != "/login" {
		t.Errorf("after sign out everywhere: %d %s", st, loc)
	}
}

// TestSessions: a new id at every sign-in (the old one stops working),
// the idle timeout and the absolute lifetime on an injected clock, a
// disabled person's sessions ended, sign out. Both databases.
func TestSessions(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		ctx := context.Background()
		b := f.browser()
		b.signIn("r-teacher", "")
		first := b.cookie()
		b.signIn("r-teacher", "")
		second := b.cookie()
		if first == "" || first == second {
			t.Fatalf("session id not rotated: %q %q", first, second)
		}
		old := f.browser()
		u, _ := url.Parse(f.srv.URL)
		old.hc.Jar.SetCookies(u, []*http.Cookie{{Name: f.c.cookieName(), Value: first}})
		if st, loc, _ := old.do("GET", "/", nil); st != http.StatusSeeOther || loc != "/login" {
			t.Errorf("the old id still works: %d %s", st, loc)
		}
		// Idle: 29 minutes is fine, and resets the clock; 31 more are not.
		f.clk.Add(29 * time.Minute)
		if st, _, _ := b.do("GET", "/", nil); st != http.StatusOK {
			t.Fatalf("after 29m: %d", st)
		}
		f.clk.Add(31 * time.Minute)
		if st, loc, _ := b.do("GET", "/", nil); st != http.StatusSeeOther || loc != "/login" {
			t.Errorf("after 31m idle: %d %s", st, loc)
		}
		// The absolute lifetime: busy all day, out after 12 hours.
		b.signIn("r-teacher", "")
		for i := 0; i < 12*60/20-1; i++ {
			f.clk.Add(20 * time.Minute)
			if st, _, _ := b.do("GET", "/", nil); st != http.StatusOK {
				t.Fatalf("at %d minutes: %d", (i+1)*20, st)
			}
		}
		f.clk.Add(21 * time.Minute)
		if st, _, _ := b.do("GET", "/", nil); st != http.StatusSeeOther {
			t.Errorf("after 12h: %d", st)
		}
		// Disabling a person ends their sessions.
		b.signIn("r-teacher", "")
		if err := f.st.SetDisabled(ctx, store.Actor{Name: "office"}, "r-teacher", true); err != nil {
			t.Fatal(err)
		}
		if st, loc, _ := b.do("GET", "/", nil); st != http.StatusSeeOther || loc != "/login" {
			t.Errorf("disabled: %d %s", st, loc)
		}
		if st, _, _ := b.do("POST", "/login", url.Values{"username": {"r-teacher"}, "password": {testPassword}}); st != http.StatusOK || b.cookie() != "" {
			t.Errorf("a disabled person signed in: %d", st)
		}
		// Sign out; a wrong password gets the form again, no cookie.
		c := f.browser()
		if st, _, body := c.do("POST", "/login", url.Values{"username": {"r-governor"}, "password": {"wrong password"}}); st != http.StatusOK || c.cookie() != "" || !strings.Contains(body, "Wrong username or password") {
			t.Errorf("wrong password: %d", st)
		}
		c.signIn("r-governor", "")
		c.do("GET", "/", nil)
		if st, _, _ := c.post("/logout", nil); st != http.StatusSeeOther {
			t.Errorf("sign out: %d", st)
		}
		if st, _, _ := c.do("GET", "/", nil); st != http.StatusSeeOther {
			t.Errorf("after sign out: %d", st)
		}
		recs, err := f.st.ListAudit(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, r := range recs {
			actions[r.Action]++
			if r.Action == "console.signin" && (r.From != "127.0.0.1" || r.Roles == "" || !strings.Contains(r.After, "Go-http-client")) {
				t.Errorf("sign-in record: %+v", r)
			}
		}
		if actions["console.signin"] < 5 || actions["console.signin.fail"] < 2 || actions["console.signout"] != 1 {
			t.Errorf("audit: %v", actions)
		}
	})
}

// TestSecondFactor: enrolment at first sign-in, a code good once, a
// recovery code good once, a wrong code refused. Both databases.
func TestSecondFactor(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		b := f.browser()
		secret := b.signIn("r-dsl", "")
		if st, _, _ := b.do("GET", "/requests", nil); st != http.StatusOK {
			t.Fatalf("after enrolment: %d", st)
		}
		// Signed in again: the same step's code is refused.
		c := f.browser()
		c.do("POST", "/login", url.Values{"username": {"r-dsl"}, "password": {testPassword}})
		if st, loc, _ := c.do("GET", "/requests", nil); st != http.StatusSeeOther || loc != "/totp" {
			t.Fatalf("before the code: %d %s", st, loc)
		}
		c.do("GET", "/totp", nil)
		code, _ := identity.TOTPCodeAt(secret, f.clk.Now())
		if st, _, body := c.post("/totp", url.Values{"code": {code}}); st != http.StatusOK || !strings.Contains(body, "used already") {
			t.Errorf("replayed code: %d", st)
		}
		if st, _, _ := c.post("/totp", url.Values{"code": {"000000"}}); st != http.StatusOK {
			t.Errorf("wrong code: %d", st)
		}
		f.clk.Add(identity.TOTPStep)
		code, _ = identity.TOTPCodeAt(secret, f.clk.Now())
		before := c.cookie()
		if st, loc, _ := c.post("/totp", url.Values{"code": {code}}); st != http.StatusSeeOther || loc != "/" {
			t.Errorf("good code: %d %s", st, loc)
		}
		// The session id changes with the second factor: the one held
		// before the code (seen by whoever saw the half-signed-in
		// session) opens nothing.
		if after := c.cookie(); after == "" || after == before {
			t.Errorf("session id kept across the second factor")
		}
		if st, _, _ := c.do("GET", "/requests", nil); st != http.StatusOK {
			t.Errorf("with the new id: %d", st)
		}
		old := f.browser()
		u, _ := url.Parse(f.srv.URL)
		old.hc.Jar.SetCookies(u, []*http.Cookie{{Name: f.c.cookieName(), Value: before, Path: "/"}})
		if st, loc, _ := old.do("GET", "/requests", nil); st != http.StatusSeeOther || loc != "/login" {
			t.Errorf("the id from before the code: %d %s", st, loc)
		}
		tot, err := f.st.GetConsoleTOTP(context.Background(), "r-dsl")
		if err != nil || len(tot.Recovery) != 10 {
			t.Fatalf("recovery codes: %v %v", tot.Recovery, err)
		}
	})
}

// TestRecoveryCode: a recovery code shown at enrolment signs in once.
func TestRecoveryCode(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.people()
	b := f.browser()
	b.do("POST", "/login", url.Values{"username": {"r-slt"}, "password": {testPassword}})
	_, _, body := b.do("GET", "/totp/enrol", nil)
	secret := strings.ReplaceAll(secretRE.FindStringSubmatch(body)[1], " ", "")
	code, _ := identity.TOTPCodeAt(secret, f.clk.Now())
	_, _, body = b.post("/totp/enrol", url.Values{"code": {code}})
	i := strings.Index(body, "<li><code>")
	if i < 0 {
		t.Fatalf("no codes:\n%s", body)
	}
	rc := body[i+10 : i+21]
	for n, want := range []int{http.StatusSeeOther, http.StatusOK} {
		c := f.browser()
		c.do("POST", "/login", url.Values{"username": {"r-slt"}, "password": {testPassword}})
		c.do("GET", "/totp", nil)
		if st, _, _ := c.post("/totp", url.Values{"code": {strings.ToUpper(rc)}}); st != want {
			t.Errorf("recovery code use %d: %d, want %d", n+1, st, want)
		}
	}
}

// TestEscaping: a request reason, a display name and a host holding
// markup are shown as text.
func TestEscaping(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.people()
	ctx := context.Background()
	if _, err := f.st.CreateRequest(ctx, store.Request{Client: "10.20.0.9", Host: `x"><img src=x onerror=alert(1)>.example`, Reason: "<i>please</i>"}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.UpdateUser(ctx, store.Actor{Name: "office"}, identity.User{Username: "r-technical", DisplayName: "<script>boom()</script>", Roles: []identity.Role{identity.RoleTechnical}}); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	b.signIn("r-technical", "")
	st, _, body := b.do("GET", "/requests", nil)
	if st != http.StatusOK {
		t.Fatalf("requests: %d", st)
	}
	for _, raw := range []string{"<script>", "<img", "<i>please", "<b>Ada"} {
		if strings.Contains(body, raw) {
			t.Errorf("unescaped %q in the page", raw)
		}
	}
	for _, esc := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; for homework", "&lt;img src=x onerror=alert(1)&gt;", "&lt;script&gt;boom()&lt;/script&gt;"} {
		if !strings.Contains(body, esc) {
			t.Errorf("%q not shown as text", esc)
		}
	}
}

// TestApproveAndDeny: a request approved for today through the console
// becomes an override until midnight (site time); another declined
// keeps its reason; a decision without a reason is 422 naming the field.
func TestApproveAndDeny(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		ctx := context.Background()
		b := f.browser()
		secret := b.signIn("r-esafety-lead", "")
		b.do("GET", "/requests", nil)
		id := fmt.Sprint(f.request.ID)
		if st, _, body := b.post("/requests/"+id+"/approve", url.Values{"for": {"today"}, "scope": {"user"}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "reason: give a reason") {
			t.Errorf("no reason: %d", st)
		}
		if st, loc, body := b.post("/requests/"+id+"/approve", url.Values{"for": {"today"}, "scope": {"user"}, "reason": {"homework"}}); st != http.StatusSeeOther || loc != "/requests?done=approved" {
			t.Fatalf("approve: %d %s %s", st, loc, body)
		}
		r, _ := f.st.GetRequest(ctx, store.AllSites, f.request.ID)
		o, _, err := f.st.GetOverride(ctx, store.AllSites, r.OverrideID)
		if r.Status != store.StatusApproved || err != nil || o.User != "ada" || !o.Until.Equal(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("approved: %+v %+v %v", r, o, err)
		}
		if st, _, _ := b.post("/requests/"+id+"/deny", url.Values{"reason": {"again"}}); st != http.StatusUnprocessableEntity {
			t.Errorf("deciding twice: %d", st)
		}
		q, _ := f.st.CreateRequest(ctx, store.Request{User: "ada", Client: "10.20.0.7", Host: "games.example", Categories: []string{"games"}, Reason: "fun"})
		if st, _, _ := b.post(fmt.Sprintf("/requests/%d/deny", q.ID), url.Values{"reason": {"not in lessons"}}); st != http.StatusSeeOther {
			t.Errorf("deny: %d", st)
		}
		if q, _ = f.st.GetRequest(ctx, store.AllSites, q.ID); q.Status != store.StatusDenied || q.DecisionReason != "not in lessons" || q.DecidedBy != "r-esafety-lead" {
			t.Errorf("denied: %+v", q)
		}
		// More than a day asks for a fresh code.
		q, _ = f.st.CreateRequest(ctx, store.Request{User: "ada", Client: "10.20.0.7", Host: "games.example", Categories: []string{"games"}, Reason: "club"})
		week := url.Values{"for": {"week"}, "scope": {"group"}, "group": {"pupils-ks2"}, "reason": {"games club"}}
		path := fmt.Sprintf("/requests/%d/approve", q.ID)
		if st, _, body := b.post(path, week); st != http.StatusUnprocessableEntity || !strings.Contains(body, "code: approving for more than a day") {
			t.Errorf("a week without a code: %d", st)
		}
		f.clk.Add(identity.TOTPStep)
		code, _ := identity.TOTPCodeAt(secret, f.clk.Now())
		week.Set("code", code)
		if st, _, body := b.post(path, week); st != http.StatusSeeOther {
			t.Errorf("a week with a code: %d %s", st, body)
		}
		if st, _, _ := b.post(path, week); st != http.StatusUnprocessableEntity {
			t.Errorf("the same code twice: %d", st)
		}
		if q, _ = f.st.GetRequest(ctx, store.AllSites, q.ID); q.Status != store.StatusApproved || q.For != 6*24*time.Hour+14*time.Hour-30*time.Second { // to the end of Sunday
			t.Errorf("approved for the week: %+v", q)
		}
		recs, _ := f.st.ListAudit(ctx, store.AuditFilter{Action: "console.requests.view"})
		if len(recs) == 0 || !strings.Contains(recs[0].After, `"ada"`) {
			t.Errorf("the view is not audited with the pupil: %+v", recs)
		}
	})
}

// TestGrantSchoolDayEnd: a teacher's grant ends by site.school_day_end,
// and one asked for after it is refused, naming the field.
func TestGrantSchoolDayEnd(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.people()
	ctx := context.Background()
	b := f.browser()
	f.clk.Set(time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC)) // 15:00 in London
	b.signIn("r-teacher", "")
	b.do("GET", "/grants", nil)
	form := url.Values{"to": {"group"}, "group": {"pupils-ks2"}, "what": {"category"}, "category": {"social-media"}, "for": {"60"}, "reason": {"project"}}
	if st, loc, body := b.post("/grants", form); st != http.StatusSeeOther || loc != "/grants?done=granted" {
		t.Fatalf("grant: %d %s", st, body)
	}
	list, _ := f.st.ActiveOverrides(ctx, store.AllSites, f.clk.Now())
	if len(list) != 1 || !list[0].Until.Equal(time.Date(2026, 3, 9, 15, 30, 0, 0, time.UTC)) || list[0].By != "r-teacher" {
		t.Fatalf("grant not capped at 15:30: %+v", list)
	}
	st, _, body := b.do("GET", "/grants", nil)
	if st != http.StatusOK || !strings.Contains(body, "category social-media") {
		t.Errorf("grants page: %d", st)
	}
	if st, _, _ := b.post(fmt.Sprintf("/grants/%d/revoke", list[0].ID), url.Values{"reason": {"done"}}); st != http.StatusSeeOther {
		t.Errorf("revoke: %d", st)
	}
	f.clk.Set(time.Date(2026, 3, 9, 16, 0, 0, 0, time.UTC))
	b.signIn("r-teacher", "") // the last sign-in has been idle an hour
	b.do("GET", "/grants", nil)
	if st, _, body := b.post("/grants", form); st != http.StatusUnprocessableEntity || !strings.Contains(body, "for: the school day ended at 15:30") {
		t.Errorf("after the school day: %d %s", st, body)
	}
	form.Set("category", "illegal")
	f.clk.Set(time.Date(2026, 3, 10, 11, 0, 0, 0, time.UTC))
	b.signIn("r-teacher", "")
	b.do("GET", "/grants", nil)
	if st, _, _ := b.post("/grants", form); st != http.StatusUnprocessableEntity {
		t.Errorf("illegal category granted: %d", st)
	}
}

// TestSetupLink: the first-run link creates the first account once, and
// only with slt or technical; then there is none.
func TestSetupLink(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := context.Background()
	link, err := f.c.SetupLink(ctx)
	if err != nil || !strings.HasPrefix(link, "/setup?token=") {
		t.Fatalf("link %q %v", link, err)
	}
	tok := strings.TrimPrefix(link, "/setup?token=")
	b := f.browser()
	if st, _, _ := b.do("GET", "/setup?token=wrong", nil); st != http.StatusNotFound {
		t.Errorf("wrong token: %d", st)
	}
	if st, _, _ := b.do("GET", link, nil); st != http.StatusOK {
		t.Errorf("set-up page: %d", st)
	}
	form := url.Values{"token": {tok}, "username": {"itadmin"}, "display_name": {"IT Admin"}, "roles": {"teacher"}, "password": {testPassword}, "confirm": {testPassword}}
	if st, _, body := b.do("POST", "/setup", form); st != http.StatusUnprocessableEntity || !strings.Contains(body, "roles: the first account needs the slt or technical role") {
		t.Errorf("teacher only: %d", st)
	}
	form["roles"] = []string{"technical", "dsl"}
	if st, _, body := b.do("POST", "/setup", form); st != http.StatusOK || !strings.Contains(body, `id="created">itadmin<`) {
		t.Fatalf("set up: %d %s", st, body)
	}
	form.Set("username", "second")
	if st, _, _ := b.do("POST", "/setup", form); st != http.StatusNotFound {
		t.Errorf("the link worked twice: %d", st)
	}
	if link, err := f.c.SetupLink(ctx); link != "" || err != nil {
		t.Errorf("a link once someone can sign in: %q %v", link, err)
	}
	u, err := f.st.GetUser(ctx, "itadmin")
	if err != nil || identity.JoinRoles(u.Roles) != "technical,dsl" {
		t.Errorf("account: %+v %v", u, err)
	}
	f.clk.Add(2 * time.Hour)
	c := f.browser()
	c.signIn("itadmin", "")
	if st, _, _ := c.do("GET", "/requests", nil); st != http.StatusOK {
		t.Errorf("new account: %d", st)
	}
}

// TestHeaders: the security headers on every answer.
func TestHeaders(t *testing.T) {
	f := newFixture(t, "sqlite")
	resp, err := http.Get(f.srv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") ||
		h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" || h.Get("Strict-Transport-Security") != "" {
		t.Errorf("headers: %v", h)
	}
	if r, _ := http.Get(f.srv.URL + "/static/console.css"); r == nil || r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %+v", r)
	}
}
