package console

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// code is a fresh TOTP code for secret (the clock moves a step so that
// each is good once).
func (f *fixture) code(secret string) string {
	f.clk.Add(identity.TOTPStep)
	c, _ := identity.TOTPCodeAt(secret, f.clk.Now())
	return c
}

// upload posts a file as multipart form data with the session's token.
func (b *browser) upload(path, field, name, content string) (int, string) {
	b.f.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", b.csrf)
	fw, _ := mw.CreateFormFile(field, name)
	io.WriteString(fw, content)
	mw.Close()
	req, _ := http.NewRequest("POST", b.f.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.hc.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

var passwordRE = regexp.MustCompile(`id="new-password" class="hash">([^<]+)<`)

// TestPeoplePage: search and filters, adding with a fresh code under the
// role rules (a technician cannot give dsl, slt can; nobody their own),
// disabling ends the person's sessions, a reset password is shown once
// and signs in, the sign-in history, the CSV import's report and its
// refusal, escaping, and every view of a person audited.
func TestPeoplePage(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		ctx := context.Background()
		teacher := f.browser()
		teacher.signIn("r-teacher", "")
		tech := f.browser()
		secret := tech.signIn("r-technical", "")

		st, _, body := tech.do("GET", "/people?q=ada", nil)
		if st != http.StatusOK || !strings.Contains(body, `href="/people/ada"`) || strings.Contains(body, "<b>Ada</b>") || !strings.Contains(body, "&lt;b&gt;Ada&lt;/b&gt;") || strings.Contains(body, `href="/people/r-dsl"`) {
			t.Fatalf("search: %d\n%s", st, body)
		}
		if _, _, body := tech.do("GET", "/people?group=pupils-ks2", nil); !strings.Contains(body, `href="/people/ada"`) || strings.Contains(body, `href="/people/r-teacher"`) {
			t.Errorf("group filter")
		}
		if _, _, body := tech.do("GET", "/people?role=dsl", nil); !strings.Contains(body, `href="/people/r-dsl"`) || strings.Contains(body, `href="/people/ada"`) {
			t.Errorf("role filter")
		}

		// Adding: a technician may not give dsl; a wrong code is refused.
		add := url.Values{"username": {"new.teacher"}, "display_name": {"New"}, "role": {"teacher", "dsl"}, "code": {f.code(secret)}}
		if st, _, body := tech.post("/people", add); st != http.StatusForbidden || !strings.Contains(body, "only slt") {
			t.Errorf("technician gives dsl: %d", st)
		}
		add.Set("code", "000000")
		add["role"] = []string{"teacher"}
		if st, _, body := tech.post("/people", add); st != http.StatusUnprocessableEntity || !strings.Contains(body, "code:") {
			t.Errorf("wrong code: %d", st)
		}
		add.Set("code", f.code(secret))
		if st, loc, _ := tech.post("/people", add); st != http.StatusSeeOther || loc != "/people/new.teacher?done=added" {
			t.Errorf("add: %d %s", st, loc)
		}
		if u, err := f.st.GetUser(ctx, "new.teacher"); err != nil || identity.JoinRoles(u.Roles) != "teacher" {
			t.Errorf("added: %+v %v", u, err)
		}
		// Nobody changes their own roles.
		if st, _, _ := tech.post("/people/r-technical/roles", url.Values{"person": {"r-technical"}, "role": {"technical", "slt"}, "code": {f.code(secret)}}); st != http.StatusForbidden {
			t.Errorf("own roles: %d", st)
		}
		// slt gives dsl.
		head := f.browser()
		hs := head.signIn("r-slt", "")
		if st, _, body := head.post("/people/new.teacher/roles", url.Values{"person": {"new.teacher"}, "role": {"teacher", "dsl"}, "code": {f.code(hs)}}); st != http.StatusSeeOther {
			t.Errorf("slt gives dsl: %d %s", st, body)
		}
		if u, _ := f.st.GetUser(ctx, "new.teacher"); identity.JoinRoles(u.Roles) != "teacher,dsl" {
			t.Errorf("roles: %v", u.Roles)
		}

		// Reset the teacher's password: shown once, and it signs in.
		st, _, body = tech.post("/people/r-teacher/password", url.Values{"person": {"r-teacher"}})
		m := passwordRE.FindStringSubmatch(body)
		if st != http.StatusOK || m == nil {
			t.Fatalf("reset: %d", st)
		}
		if _, err := f.c.dir.Authenticate(ctx, "r-teacher", m[1], netip.MustParseAddr("127.0.0.1")); err != nil {
			t.Errorf("reset password: %v", err)
		}
		if _, _, body := tech.do("GET", "/people/r-teacher", nil); strings.Contains(body, m[1]) || !strings.Contains(body, "<td>console.signin</td>") {
			t.Errorf("person page shows the password again, or no sign-in history")
		}
		// Disabling ends the teacher's session; a stray post does nothing.
		if st, _, _ := tech.post("/people/r-teacher/disable", url.Values{}); st != http.StatusUnprocessableEntity {
			t.Errorf("disable without the person: %d", st)
		}
		if st, _, _ := tech.post("/people/r-teacher/disable", url.Values{"person": {"r-teacher"}}); st != http.StatusSeeOther {
			t.Errorf("disable: %d", st)
		}
		if st, loc, _ := teacher.do("GET", "/", nil); st != http.StatusSeeOther || loc != "/login" {
			t.Errorf("a disabled teacher's session: %d %s", st, loc)
		}
		if st, _, _ := tech.post("/people/r-dsl/disable", url.Values{"person": {"r-dsl"}}); st != http.StatusForbidden {
			t.Errorf("technician disables the dsl: %d", st)
		}
		if st, _, _ := tech.post("/people/r-teacher/enable", url.Values{"person": {"r-teacher"}}); st != http.StatusSeeOther {
			t.Errorf("enable: %d", st)
		}

		// Import: the CLI's report; a row giving slt refuses the file.
		csv := "username,display_name,role,year_group,house\nbob,Bob <i>B</i>,pupil,5,red\n,nobody,pupil,5,blue\n"
		st, body = tech.upload("/people/import", "file", "users.csv", csv)
		if st != http.StatusOK || !strings.Contains(body, "1 added") || !strings.Contains(body, "line 3") || !strings.Contains(body, "Ignored columns: house") {
			t.Errorf("import: %d\n%s", st, body)
		}
		st, body = tech.upload("/people/import", "file", "users.csv", "username,role\nsneaky,slt\n")
		if st != http.StatusForbidden || !strings.Contains(body, "line 2") {
			t.Errorf("import giving slt: %d", st)
		}
		if _, err := f.st.GetUser(ctx, "sneaky"); err == nil {
			t.Errorf("a refused import added sneaky")
		}

		recs, err := f.st.ListAudit(ctx, store.AuditFilter{Action: "console.person.view", Object: "user:r-teacher"})
		if err != nil || len(recs) == 0 || recs[0].Actor != "r-technical" || recs[0].From == "" {
			t.Errorf("person view audit: %+v %v", recs, err)
		}
	})
}
