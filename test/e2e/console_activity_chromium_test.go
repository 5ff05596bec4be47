package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"schoolgate/internal/identity"
)

// TestConsoleActivityChromium: the real binary's activity log in the
// console, in headless Chromium. A pupil's blocked and allowed requests
// through the proxy appear on the activity page (a search naming her)
// and in her chronology; both are audited as views of user:amy. The two
// pages are photographed.
func TestConsoleActivityChromium(t *testing.T) {
	chromium := needTool(t, "chromium", "chromium")
	o := proxyStartOrigins(t)
	in, base, stdout := consoleStart(t)
	var m []string
	waitFor(t, 20*time.Second, "the set-up link on standard output", func() bool {
		m = setupLinkRe.FindStringSubmatch(stdout.String())
		return m != nil
	})
	in.cli(t, "Volcano-Lava-Magma-42\n", "users", "add", "amy", "--name", "Amy Pupil", "--role", "pupil", "--groups", "pupils", "--password-stdin", "--by", "admin")
	amy := []string{"--proxy-user", "amy:Volcano-Lava-Magma-42"}
	for _, u := range []string{"http://bet.test:" + o.http + "/", "http://bet.test:" + o.http + "/roulette", "http://social.test:" + o.http + "/feed", "http://bad.test:" + o.http + "/"} {
		in.curl(t, "127.0.0.2", append(amy, u)...)
	}
	// A request and a concern from the block page's forms (with their
	// tokens).
	code, page, _ := in.curl(t, "127.0.0.2", append(amy, "http://social.test:"+o.http+"/feed")...)
	if code != 403 {
		t.Fatalf("permission page: %d", code)
	}
	action, form := pageForm(t, page, "request")
	if code, body, _ := in.curl(t, "127.0.0.2", append(amy, curlForm(action, form, "reason", "For our <b>class</b> project")...)...); code != 200 || !strings.Contains(body, "Request sent") {
		t.Fatalf("request: %d\n%s", code, body)
	}
	action, form = pageForm(t, page, "concern")
	if code, _, _ := in.curl(t, "127.0.0.2", append(amy, curlForm(action, form, "kind", "other", "details", "Someone sent me <i>horrible</i> messages")...)...); code != 200 {
		t.Fatalf("concern: %d", code)
	}

	b := newConsoleBrowser(t, chromium, in)
	step, text, tctx := b.step, b.text, b.ctx
	const password = "Kestrel-Harbour-Lantern-9"
	step("set-up link", chromedp.Navigate(m[1]), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "mrsmith"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("confirm"), password),
		chromedp.Click(chromedp.ID("role-technical")),
		chromedp.Submit(chromedp.ID("username")),
		chromedp.WaitVisible(chromedp.ID("created")))
	step("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "mrsmith"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("username")),
		chromedp.WaitVisible(chromedp.ID("secret")))
	totp, err := identity.TOTPCodeAt(strings.ReplaceAll(text("#secret"), " ", ""), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	step("enrol", chromedp.SendKeys(chromedp.ID("code"), totp), chromedp.Submit(chromedp.ID("code")), chromedp.WaitVisible(chromedp.ID("codes")))

	// The activity log is written in batches: wait for amy's blocks.
	waitFor(t, 20*time.Second, "amy's events on the activity page", func() bool {
		step("activity", chromedp.Navigate(base+"/activity?person=amy"), chromedp.WaitVisible(chromedp.ID("person")))
		s, _ := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("main")))
		return strings.Contains(s, "bet.test") && strings.Contains(s, "social.test")
	})
	if n, _ := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("tr.blocked"))); !strings.Contains(n, "block") {
		t.Errorf("no blocked row highlighted: %q", n)
	}
	b.shot("console-activity.png")

	step("chronology", chromedp.Navigate(base+"/people/amy/chronology"), chromedp.WaitVisible(chromedp.CSS("section.day")))
	if s := text("section.day"); !strings.Contains(s, "bet.test") || !strings.Contains(s, "For our <b>class</b> project") ||
		!strings.Contains(s, "raised a concern") || strings.Contains(s, "horrible") {
		t.Errorf("chronology: %q", s)
	}
	b.shot("console-chronology.png")
	// The technical role does not read concerns: the chronology says one
	// was raised, the concern page refuses.
	step("concern refused", chromedp.Navigate(base+"/concerns/1"), chromedp.WaitVisible(chromedp.CSS("main")))
	if s := text("main"); !strings.Contains(s, "Not permitted") || strings.Contains(s, "horrible") {
		t.Errorf("a technical opens a concern: %q", s)
	}
	out := in.cli(t, "", "audit", "list", "--action", "console.chronology.view")
	if !strings.Contains(out, "user:amy") {
		t.Errorf("the chronology view is not audited:\n%s", out)
	}
	if strings.Contains(in.logText(), "amy") {
		t.Error("the pupil's name is in the system log")
	}
}
