package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"schoolgate/internal/dnsfilter/dnstest"
	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// TestSanctionRemovesAccess: the real binary with DNS, the proxy (basic
// log-in) and the console. A pupil logs in to the proxy from 127.0.0.2,
// which makes that address hers for DNS too. The dsl records "removal
// of network / internet access" for her through the API; within one
// second `dig` from her address and `curl` through the proxy as her are
// both refused, the block page and the DNS answer saying access is
// suspended and until when, never why. A teacher and a governor may not
// sanction (403). Revoking the sanction lets her through again.
func TestSanctionRemovesAccess(t *testing.T) {
	needTool(t, "dig", "bind9-dnsutils")
	o := proxyStartOrigins(t)
	up, err := dnstest.Start("127.0.0.1:0", 60)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	for name, body := range proxyLists {
		dnsWrite(t, in.dir, name, body)
	}
	policy := strings.Replace(proxyPolicyBase, "dns: {listen: []}", fmt.Sprintf("dns: {listen: [\"127.0.0.1:0\"], upstreams: [%q], timeout: 1s}", up.Addr()), 1)
	policy = strings.Replace(policy, "site: {name: E2E Primary School, timezone: Europe/London}", "site: {name: E2E Primary School, timezone: Europe/London, id: e2e-primary}", 1)
	dnsWrite(t, in.dir, "policy.yaml", policy+"  auth: basic\n  realm: E2E School\n  allow_destinations: [127.0.0.0/8]\nconsole: {listen: 127.0.0.1:0, tls: off}\n")
	in.env = append(os.Environ(), "SCHOOLGATE_DATA="+in.data)
	const amyPass = "Volcano-Lava-Magma-42"
	in.cli(t, amyPass+"\n", "users", "add", "amy", "--name", "Amy Pupil", "--role", "pupil", "--groups", "pupils", "--password-stdin", "--by", "admin")
	in.cli(t, "", "users", "add", "ms.dsl", "--role", "dsl", "--by", "admin")
	in.cli(t, "", "users", "add", "mr.teach", "--role", "teacher", "--by", "admin")
	in.cli(t, "", "users", "add", "gov", "--role", "governor", "--by", "admin")
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data)
	cmd.Env = in.env
	cmd.Stdout = &lockedBuffer{}
	addrs := in.start(t, cmd, proxyListenRe, proxyPageRe, consoleListenRe, dnsListenRe)
	in.proxy, in.page = addrs[0], addrs[1]
	base, dnsAddr := addrs[2], addrs[3]
	dnsPort := dnsAddr[strings.LastIndexByte(dnsAddr, ':')+1:]
	waitFor(t, 20*time.Second, "serve ready", func() bool { return strings.Contains(in.logText(), "schoolgate ready") })

	// The incident (the incident log's own API is another part's): as a
	// teacher would record it, through the store, beside the running
	// serve (SQLite takes both).
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(in.data, "schoolgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	inc, err := st.CreateIncident(ctx, store.Actor{Name: "mr.teach"}, store.Incident{Site: "e2e-primary", OccurredAt: time.Now().Add(-time.Hour),
		Category: "subverting-filtering", Summary: "Used a proxy site in the library", People: []store.IncidentPerson{{Username: "amy", Roles: "pupil"}}})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	token := func(user string) string {
		return strings.TrimSpace(in.cli(t, "", "tokens", "create", "--user", user, "--name", "e2e", "--by", "admin"))
	}
	api := func(tok, method, path, body string) (int, string) {
		t.Helper()
		args := []string{"-sS", "-o", "-", "-w", "\n%{http_code}", "-X", method, "-H", "Authorization: Bearer " + tok, base + path}
		if body != "" {
			args = append(args, "-H", "Content-Type: application/json", "-d", body)
		}
		b, err := exec.Command("curl", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %s: %v\n%s", path, err, b)
		}
		s := strings.TrimSpace(string(b))
		var code int
		fmt.Sscanf(s[strings.LastIndexByte(s, '\n')+1:], "%d", &code)
		return code, s[:strings.LastIndexByte(s, '\n')]
	}
	dig := func() string {
		out, _ := exec.Command("dig", "@127.0.0.1", "-p", dnsPort, "-b", "127.0.0.2", "+time=2", "+tries=1", "ok.test", "A").CombinedOutput()
		return string(out)
	}
	amy := []string{"--proxy-user", "amy:" + amyPass}
	site := "http://ok.test:" + o.http + "/lesson"
	browse := func() (int, string) {
		code, body, _ := in.curl(t, "127.0.0.2", append(amy, site)...)
		return code, body
	}

	// Amy logs in to the proxy from 127.0.0.2: allowed, and DNS from
	// that address now answers as her.
	if code, body := browse(); code != 200 || !strings.Contains(body, "origin says hello") {
		t.Fatalf("before: %d %s", code, body)
	}
	if out := dig(); !strings.Contains(out, "status: NOERROR") || strings.Contains(out, "EDE") {
		t.Fatalf("dig before:\n%s", out)
	}

	path := fmt.Sprintf("/api/v1/incidents/%d/sanctions", inc.ID)
	sanction := `{"action":"removal_of_access","for":"7d","scope":"all","people":["amy"]}`
	for _, who := range []string{"mr.teach", "gov"} {
		if code, body := api(token(who), "POST", path, sanction); code != 403 {
			t.Errorf("%s sanctions: %d %s", who, code, body)
		}
	}
	dsl := token("ms.dsl")
	if code, body := api(dsl, "POST", path, `{"action":"removal_of_access","for":"7d","people":["amy"],"why":"x"}`); code != 422 || !strings.Contains(body, `"field": "why"`) {
		t.Errorf("an unknown field: %d %s", code, body)
	}
	code, body := api(dsl, "POST", path, sanction)
	made := time.Now()
	var res struct {
		IDs       []int64 `json:"ids"`
		Sanctions []struct {
			Until string `json:"until"`
		} `json:"sanctions"`
	}
	if code != 201 || json.Unmarshal([]byte(body), &res) != nil || len(res.IDs) != 1 {
		t.Fatalf("sanction: %d %s", code, body)
	}
	until, err := time.Parse(time.RFC3339, res.Sanctions[0].Until)
	if err != nil {
		t.Fatal(err)
	}
	london, _ := time.LoadLocation("Europe/London")
	pageUntil := until.In(london).Format("Monday 2 January 2006, 15:04")
	dnsUntil := "access suspended until " + until.In(london).Format("2 Jan 2006 15:04")

	// Both refused within one second of the sanction.
	var digOut, page string
	var pageCode int
	for {
		digOut = dig()
		pageCode, page = browse()
		if strings.Contains(digOut, dnsUntil) && pageCode == 403 {
			break
		}
		if time.Since(made) > 5*time.Second {
			t.Fatalf("not refused 5s after the sanction: dig\n%s\ncurl %d %s", digOut, pageCode, page)
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(made)
	if took > time.Second {
		t.Errorf("refused only after %v, want within a second", took)
	}
	t.Logf("dig and curl both refused %v after the API's answer", took.Round(time.Millisecond))
	if !strings.Contains(page, "Your access is suspended until <strong>"+pageUntil+"</strong>") {
		t.Errorf("the block page does not say until when (%s):\n%s", pageUntil, page)
	}
	// DNS sends her browser to the block page listener, which says the same.
	code, direct, _ := in.curl(t, "127.0.0.2", "--noproxy", "*", "-H", "Host: ok.test", "http://"+in.page+"/lesson")
	if code != 403 || !strings.Contains(direct, "Your access is suspended until <strong>"+pageUntil+"</strong>") {
		t.Errorf("the block page listener: %d\n%s", code, direct)
	}
	for _, secret := range []string{"proxy site", "library", "incident", "sanction", "ms.dsl", "Subverting", "subverting"} {
		if strings.Contains(page, secret) || strings.Contains(digOut, secret) || strings.Contains(direct, secret) {
			t.Errorf("the refusal says why (%q):\n%s\n%s\n%s", secret, page, digOut, direct)
		}
	}
	// Revoked: allowed again, on both.
	if code, body := api(dsl, "POST", fmt.Sprintf("/api/v1/sanctions/%d/revoke", res.IDs[0]), `{"reason":"appeal upheld"}`); code != 200 {
		t.Fatalf("revoke: %d %s", code, body)
	}
	waitFor(t, 5*time.Second, "allowed again after the revoke", func() bool {
		code, body := browse()
		out := dig()
		return code == 200 && strings.Contains(body, "origin says hello") && strings.Contains(out, "status: NOERROR") && !strings.Contains(out, "suspended")
	})
	if audit := in.cli(t, "", "audit", "list"); !strings.Contains(audit, "sanction.record") || !strings.Contains(audit, "sanction.revoke") || !strings.Contains(audit, "override.revoke") {
		t.Errorf("audit trail:\n%s", audit)
	}
}

// TestServeRefusesUnknownSanctionCategory: serve with the console will not
// start on a sanctions table naming no incident category, and says where.
func TestServeRefusesUnknownSanctionCategory(t *testing.T) {
	dir := t.TempDir()
	for name, body := range proxyLists {
		dnsWrite(t, dir, name, body)
	}
	policy := proxyPolicyBase + "console: {listen: 127.0.0.1:0, tls: off}\nsanctions:\n  pupils:\n    pornography: [warning]\n    homework-late: [warning]\n"
	line := strings.Count(policy, "\n")
	dnsWrite(t, dir, "policy.yaml", policy)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	data := filepath.Join(dir, "data")
	cmd := exec.CommandContext(ctx, dnsBinary(t), "serve", "-c", filepath.Join(dir, "policy.yaml"), "--data", data)
	cmd.Env = append(os.Environ(), "SCHOOLGATE_DATA="+data)
	out, err := cmd.CombinedOutput()
	want := fmt.Sprintf("policy.yaml:%d: sanctions.pupils.homework-late: not an incident category", line)
	if err == nil || ctx.Err() != nil || !strings.Contains(string(out), want) {
		t.Fatalf("serve: %v\n%s\nwant %s", err, out, want)
	}
}

// TestSanctionsChromium: the sanctions page of the real binary in
// headless Chromium, signed in as the dsl (TOTP enrolled): the tables'
// suggestions for the incident, removal of access recorded through the
// form (in force at once), then revoked. The page is photographed.
func TestSanctionsChromium(t *testing.T) {
	chromium := needTool(t, "chromium", "chromium")
	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	for name, body := range proxyLists {
		dnsWrite(t, in.dir, name, body)
	}
	dnsWrite(t, in.dir, "policy.yaml", proxyPolicyBase+"console: {listen: 127.0.0.1:0, tls: off}\n")
	in.env = append(os.Environ(), "SCHOOLGATE_DATA="+in.data)
	const password = "Kestrel-Harbour-Lantern-9"
	in.cli(t, password+"\n", "users", "add", "ms.dsl", "--name", "Ms Safe", "--role", "dsl", "--password-stdin", "--by", "admin")
	in.cli(t, "", "users", "add", "amy", "--name", "Amy Pupil", "--role", "pupil", "--by", "admin")
	in.cli(t, "", "users", "add", "ben", "--name", "Ben Pupil", "--role", "pupil", "--by", "admin")
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data)
	cmd.Env = in.env
	cmd.Stdout = &lockedBuffer{}
	addrs := in.start(t, cmd, proxyListenRe, consoleListenRe)
	in.proxy = addrs[0]
	base := addrs[1]
	waitFor(t, 20*time.Second, "serve ready", func() bool { return strings.Contains(in.logText(), "schoolgate ready") })
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(in.data, "schoolgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	inc, err := st.CreateIncident(ctx, store.Actor{Name: "mr.teach"}, store.Incident{Site: "school", OccurredAt: time.Now().Add(-2 * time.Hour),
		Category: "pornography", Summary: "Searched for adult sites in ICT",
		People: []store.IncidentPerson{{Username: "amy", Roles: "pupil"}, {Username: "ben", Roles: "pupil"}}})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	b := newConsoleBrowser(t, chromium, in)
	step, text := b.step, b.text
	step("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "ms.dsl"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("username")),
		chromedp.WaitVisible(chromedp.ID("secret")))
	code, err := identity.TOTPCodeAt(strings.ReplaceAll(text("#secret"), " ", ""), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	step("enrol", chromedp.SendKeys(chromedp.ID("code"), code), chromedp.Submit(chromedp.ID("code")), chromedp.WaitVisible(chromedp.ID("codes")))

	page := fmt.Sprintf("%s/incidents/%d/sanctions", base, inc.ID)
	step("the page", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("record")))
	if got := text("#suggested-pupils"); !strings.Contains(got, "Removal of network / internet access rights\tsuggested") || !strings.Contains(got, "Inform parents / carers\tsuggested") {
		t.Errorf("suggestions: %q", got)
	}
	step("record", chromedp.SetValue(chromedp.ID("sanction-action"), "removal_of_access"),
		chromedp.Click(chromedp.CSS(`input[name=people][value=amy]`)),
		chromedp.SetValue(chromedp.ID("sanction-for"), "3d"),
		chromedp.Submit(chromedp.ID("sanction-for")),
		chromedp.WaitVisible(chromedp.ID("sanctions")))
	if got := text("#sanctions"); !strings.Contains(got, "amy") || !strings.Contains(got, "(in force)") || strings.Contains(got, "ben") {
		t.Errorf("recorded: %q", got)
	}
	b.shot("console-sanctions.png")
	step("revoke", chromedp.SendKeys(chromedp.CSS(`#sanctions input[name=reason]`), "appeal upheld"),
		chromedp.Submit(chromedp.CSS(`#sanctions input[name=reason]`)))
	// The page after recording has a notice too: wait for the revoke's
	// page itself, not for any notice.
	var got string
	waitFor(t, 10*time.Second, "the revoked sanction", func() bool {
		got = text("#sanctions")
		return strings.Contains(got, "revoked by ms.dsl")
	})
	if strings.Contains(got, "(in force)") {
		t.Errorf("revoked: %q", got)
	}
	if out := in.cli(t, "", "check", "--user", "amy", "ok.test"); !strings.Contains(out, `"verdict":"allow"`) {
		t.Errorf("amy after the revoke: %s", out)
	}
}
