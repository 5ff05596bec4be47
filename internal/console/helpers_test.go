package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
	"schoolgate/internal/store/storetest"
)

const testPolicy = `site: {name: Test School, timezone: Europe/London, school_day_end: "15:30"}
categories:
  illegal: {illegal: true, sources: [{path: illegal.txt, format: domains}]}
  social-media: {title: Social media, sources: [{path: social.txt, format: domains}]}
  games: {sources: [{path: games.txt, format: domains}]}
groups:
  staff: {networks: [10.10.0.0/16]}
  pupils-ks2: {networks: [10.20.0.0/16]}
  visitors: {networks: [10.99.0.0/16]}
default_group: visitors
rules:
  illegal: {others: block}
  social-media: {staff: allow, pupils-ks2: permission, others: block}
  games: {others: block}
default: {others: allow}
identity:
  year_groups: {"5": pupils-ks2}
  roles: {teacher: staff, technical: staff, dsl: staff, esafety-lead: staff, slt: staff}
console: {listen: "127.0.0.1:0", tls: off}
`

// testPassword is every test person's password.
const testPassword = "correct horse battery"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// fixture is the console over a real store (SQLite or PostgreSQL), with
// one person per role ("r-" + role) and a pupil's pending request.
type fixture struct {
	t   *testing.T
	st  *store.Store
	c   *Console
	srv *httptest.Server
	clk *clock
	// sessions are the proxy log-ins the devices page lists.
	sessions *identity.Sessions
	// request is the pupil ada's pending request.
	request store.Request
	// concern is the pupil ada's open concern.
	concern store.Concern
	// incident is about ada, reported by r-teacher.
	incident store.Incident
	// alerts are new alerts, one per role that reads alerts (each the
	// kind that role sees: circumvention, pupil, staff).
	alerts map[identity.Role]int64
}

// alertFor is the alert the role may see ("0" when it sees none).
func (f *fixture) alertFor(role identity.Role) string {
	return fmt.Sprint(f.alerts[role.SchoolRole()]) // a trust role reads its school role's
}

func newFixture(t *testing.T, backend string) *fixture {
	t.Helper()
	return newFixtureWith(t, backend, "")
}

// newFixtureWith adds identity settings (YAML lines indented under
// identity:) to the test policy.
func newFixtureWith(t *testing.T, backend, identityExtra string) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"policy.yaml": strings.Replace(testPolicy, "console: {", identityExtra+"console: {", 1), "illegal.txt": "abuse.example\n", "social.txt": "social.example\n", "games.txt": "games.example\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := policy.Compile(cfg, policy.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// Monday 9 March 2026, 10:00 in London (GMT).
	clk := &clock{t: time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)}
	opt := store.Options{SQLitePath: filepath.Join(dir, "schoolgate.db"), Now: clk.Now}
	if backend == "postgres" {
		opt = store.Options{PostgresDSN: storetest.PostgresDSN(t), Now: clk.Now}
	}
	st, err := store.Open(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dirx, err := store.NewDirectory(st, store.DirectoryOptions{Mapping: func() config.Identity { return cfg.Identity }, Now: clk.Now, CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	snapFn := func() *policy.Snapshot { return snap }
	svc := safeguarding.New(safeguarding.Options{Store: st, Directory: dirx, Snapshot: snapFn, Now: clk.Now})
	sessions := identity.NewSessions(clk.Now)
	c, err := New(Options{Store: st, Directory: dirx, Service: svc, Snapshot: snapFn, Sessions: sessions, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, c: c, clk: clk, sessions: sessions}
	f.srv = httptest.NewServer(c.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// people adds one person per role ("r-ROLE"), with testPassword, and the
// pupil ada (display name with markup) with a pending request.
func (f *fixture) people() {
	t := f.t
	t.Helper()
	ctx := context.Background()
	hash, err := identity.HashPassword(testPassword, identity.HashParams{Time: 1, MemKiB: 1024, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	admin := store.Actor{Name: "office"}
	for _, r := range identity.AllRoles() {
		u := identity.User{Username: "r-" + string(r), DisplayName: "Person " + string(r), Roles: []identity.Role{r}}
		if r.Trust() {
			u.Site = store.AllSites // the trust's staff
		}
		if err := f.st.CreateUser(ctx, admin, u, hash); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.st.CreateUser(ctx, admin, identity.User{Username: "ada", DisplayName: "<b>Ada</b>", Roles: []identity.Role{identity.RolePupil}, YearGroup: "5"}, hash); err != nil {
		t.Fatal(err)
	}
	f.request, err = f.st.CreateRequest(ctx, store.Request{User: "ada", Client: "10.20.0.7", Groups: []string{"pupils-ks2"}, Host: "social.example",
		Categories: []string{"social-media"}, Reason: `<script>alert("x")</script> for homework`})
	if err != nil {
		t.Fatal(err)
	}
	f.concern, err = f.st.CreateConcern(ctx, store.Concern{User: "ada", Client: "10.20.0.7", Host: "games.example", Text: `<script>alert("c")</script> someone is upsetting me`})
	if err != nil {
		t.Fatal(err)
	}
	teacher := safeguarding.Actor{Username: "r-teacher", Roles: []identity.Role{identity.RoleTeacher}, Site: config.DefaultSiteID}
	f.incident, err = f.c.inc.Record(ctx, teacher, safeguarding.NewIncident{OccurredAt: f.clk.Now().Add(-time.Hour), Category: "bullying-messages",
		Summary: "Unkind messages in the class chat", People: []string{"ada"}})
	if err != nil {
		t.Fatal(err)
	}
	f.alerts = map[identity.Role]int64{}
	for _, a := range []struct {
		role       identity.Role
		user       string
		staff, vpn bool
	}{
		{identity.RoleTechnical, "ada", false, true},
		{identity.RoleESafetyLead, "ada", false, false},
		{identity.RoleDSL, "ada", false, false},
		{identity.RoleSLT, "mr.staff", true, false},
	} {
		now := f.clk.Now()
		id, _, err := f.st.RaiseAlert(ctx, store.AlertHit{Site: "school", Rule: "r-" + string(a.role), Title: "Test alert", Severity: 4, Subject: a.user,
			User: a.user, AboutStaff: a.staff, Circumvention: a.vpn, First: now, Last: now, Count: 1, Fold: time.Minute,
			Events: []store.AlertEvent{{At: now, User: a.user, Host: "games.example", Verdict: "block"}}})
		if err != nil {
			t.Fatal(err)
		}
		f.alerts[a.role] = id
	}
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	f    *fixture
	hc   *http.Client
	csrf string
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{f: f, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// do sends a request and returns the status, the Location and the body;
// a page's form token is kept for the next POST.
func (b *browser) do(method, path string, form url.Values, header ...string) (int, string, string) {
	b.f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.f.srv.URL+path, body)
	if err != nil {
		b.f.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(data); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(data)
}

// post sends a form with the session's token.
func (b *browser) post(path string, form url.Values) (int, string, string) {
	b.f.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf)
	return b.do("POST", path, form)
}

func (b *browser) cookie() string {
	u, _ := url.Parse(b.f.srv.URL)
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == b.f.c.cookieName() {
			return c.Value
		}
	}
	return ""
}

var secretRE = regexp.MustCompile(`id="secret">([A-Z2-7 ]+)<`)

// signIn signs user in with testPassword and, when their roles need it,
// enrols (or gives) a TOTP code. It returns the secret enrolled.
func (b *browser) signIn(user string, secret string) string {
	t := b.f.t
	t.Helper()
	st, loc, body := b.do("POST", "/login", url.Values{"username": {user}, "password": {testPassword}})
	if st != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d %s", user, st, body)
	}
	if loc == "/" {
		return ""
	}
	if secret == "" {
		st, loc, _ = b.do("GET", "/totp", nil)
		if st != http.StatusSeeOther || loc != "/totp/enrol" {
			t.Fatalf("totp: %d %s", st, loc)
		}
		_, _, body = b.do("GET", "/totp/enrol", nil)
		m := secretRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no secret on the enrolment page:\n%s", body)
		}
		secret = strings.ReplaceAll(m[1], " ", "")
		code, _ := identity.TOTPCodeAt(secret, b.f.clk.Now())
		st, _, body = b.post("/totp/enrol", url.Values{"code": {code}})
		if st != http.StatusOK || !strings.Contains(body, `id="codes"`) {
			t.Fatalf("enrol: %d %s", st, body)
		}
		return secret
	}
	b.do("GET", "/totp", nil)
	// A new step: the last one was used at enrolment.
	b.f.clk.Add(identity.TOTPStep)
	code, _ := identity.TOTPCodeAt(secret, b.f.clk.Now())
	st, loc, body = b.post("/totp", url.Values{"code": {code}})
	if st != http.StatusSeeOther || loc != "/" {
		t.Fatalf("totp: %d %s %s", st, loc, body)
	}
	return secret
}

// backends runs fn on SQLite and PostgreSQL.
func backends(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) { fn(t, newFixture(t, b)) })
	}
}
