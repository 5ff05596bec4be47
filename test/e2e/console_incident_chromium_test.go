package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"schoolgate/internal/identity"
)

var blockRefRe = regexp.MustCompile(`SG-[0-9a-f]{8}`)

// TestConsoleIncidentChromium: the real binary's incident log in
// headless Chromium. A pupil is blocked through the proxy and reads the
// block page's reference to her teacher; the teacher records an
// incident with that event linked (?event=REF); the dsl opens the
// record and finds the event copied into it; a governor cannot open it.
// The record is photographed.
func TestConsoleIncidentChromium(t *testing.T) {
	chromium := needTool(t, "chromium", "chromium")
	o := proxyStartOrigins(t)
	in, base, _ := consoleStart(t)
	const pw = "Kestrel-Harbour-Lantern-9"
	in.cli(t, "Volcano-Lava-Magma-42\n", "users", "add", "amy", "--name", "Amy Pupil", "--role", "pupil", "--groups", "pupils", "--password-stdin", "--by", "admin")
	for _, u := range [][]string{{"mrteach", "teacher"}, {"msdsl", "dsl"}, {"mrgov", "governor"}} {
		in.cli(t, pw+"\n", "users", "add", u[0], "--role", u[1], "--password-stdin", "--by", "admin")
	}
	code, page, _ := in.curl(t, "127.0.0.2", "--proxy-user", "amy:Volcano-Lava-Magma-42", "http://bet.test:"+o.http+"/roulette")
	ref := blockRefRe.FindString(page)
	if code != 403 || ref == "" {
		t.Fatalf("block page: %d, reference %q\n%s", code, ref, page)
	}

	b := newConsoleBrowser(t, chromium, in)
	step, text, tctx := b.step, b.text, b.ctx
	signIn := func(user string) {
		t.Helper()
		step("sign in "+user, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("username")),
			chromedp.SendKeys(chromedp.ID("username"), user), chromedp.SendKeys(chromedp.ID("password"), pw),
			chromedp.Submit(chromedp.ID("username")))
		// Signed in once the browser has left the sign-in page (the
		// dashboard, or the second factor's).
		waitFor(t, 10*time.Second, user+" signed in", func() bool {
			loc, err := chromedp.Run(tctx, chromedp.Location())
			return err == nil && !strings.HasSuffix(loc, "/login")
		})
		step("signed in", chromedp.WaitVisible(chromedp.CSS("main")))
	}

	// The teacher: the form shows the event once the activity log has it.
	signIn("mrteach")
	waitFor(t, 20*time.Second, "the blocked event on the incident form", func() bool {
		step("new incident", chromedp.Navigate(base+"/incidents/new?event="+ref+"&person=amy"), chromedp.WaitVisible(chromedp.ID("summary")))
		s, _ := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("main")))
		return strings.Contains(s, "bet.test")
	})
	step("record", chromedp.SetValue(chromedp.ID("category"), "online-gambling"),
		chromedp.SendKeys(chromedp.ID("summary"), "Amy tried a roulette site during maths and showed me the block page."),
		chromedp.Click(chromedp.ID("record-incident")), chromedp.WaitVisible(chromedp.ID("notice")))
	loc, err := chromedp.Run(tctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	id := regexp.MustCompile(`/incidents/(\d+)`).FindStringSubmatch(loc)
	if id == nil {
		t.Fatalf("after recording: %s", loc)
	}
	if s := text("main"); !strings.Contains(s, "roulette site") || !strings.Contains(s, ref) {
		t.Errorf("the teacher's record: %q", s)
	}

	step("sign out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.ID("username")))
	// The dsl: signs in with a second factor, reads the record with the
	// copied event.
	signIn("msdsl")
	step("enrolment", chromedp.WaitVisible(chromedp.ID("secret")))
	var totp string
	totp, err = identity.TOTPCodeAt(strings.ReplaceAll(text("#secret"), " ", ""), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	step("enrol", chromedp.SendKeys(chromedp.ID("code"), totp), chromedp.Submit(chromedp.ID("code")), chromedp.WaitVisible(chromedp.ID("codes")))
	step("the log", chromedp.Navigate(base+"/incidents"), chromedp.WaitVisible(chromedp.ID("incident-"+id[1])))
	step("the record", chromedp.Click(chromedp.CSS("#incident-"+id[1]+" a")), chromedp.WaitVisible(chromedp.ID("current")))
	s := text("main")
	for _, want := range []string{"roulette site", "amy", ref, "bet.test", "/roulette", "block", "mrteach", "Close the incident"} {
		if !strings.Contains(s, want) {
			t.Errorf("the dsl's record lacks %q:\n%s", want, s)
		}
	}
	step("action", chromedp.SendKeys(chromedp.ID("action"), "Spoke to Amy; parents informed by phone."),
		chromedp.Click(chromedp.ID("add-action")), chromedp.WaitVisible(chromedp.ID("notice")))
	if s := text("#history"); s == "" || !strings.Contains(text("main"), "parents informed by phone") {
		t.Errorf("the action is not in the history")
	}
	b.shot("console-incident.png")

	// A governor: not permitted, nothing shown.
	step("sign out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.ID("username")))
	signIn("mrgov")
	for _, path := range []string{"/incidents/" + id[1], "/incidents", "/incidents/new"} {
		step("governor "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main")))
		if s := text("main"); !strings.Contains(s, "Not permitted") || strings.Contains(s, "roulette") {
			t.Errorf("a governor opens %s: %q", path, s)
		}
	}
	if out := in.cli(t, "", "audit", "list", "--action", "incident.view"); !strings.Contains(out, "msdsl") {
		t.Errorf("the dsl's view is not audited:\n%s", out)
	}
	if strings.Contains(in.logText(), "amy") || strings.Contains(in.logText(), "roulette site") {
		t.Error("the pupil or the incident is in the system log")
	}
}
