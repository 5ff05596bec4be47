package e2e

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// investigationIncidents records two incidents about a pupil in serve's
// database (the incident pages are another change's): an ordinary one and
// one of possible child sexual abuse material.
func investigationIncidents(t *testing.T, data string) (int64, int64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(data, "schoolgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids []int64
	for _, c := range []struct{ cat, summary string }{
		{"pornography", "Searched for adult material in ICT"},
		{"child-sexual-abuse-material", "A pupil reported images shared in a chat"},
	} {
		in, err := st.CreateIncident(ctx, store.Actor{Name: "mr.teach"}, store.Incident{Site: "school", OccurredAt: time.Now().Add(-time.Hour),
			Category: c.cat, Summary: c.summary, People: []store.IncidentPerson{{Username: "amy", Roles: "pupil"}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, in.ID)
	}
	return ids[0], ids[1]
}

// TestConsoleInvestigationChromium: the Appendix G record in headless
// Chromium on the real binary. The dsl opens an investigation from an
// incident (recording the review computer), browses through the proxy as
// herself (the record shows it as monitored and recorded), adds a site
// with a screenshot and signs with her password; alone she cannot
// conclude. The head signs and concludes; the printed form shows both
// signatures and times (photographed). Then the head opens the second
// incident's record for possible child sexual abuse material: the
// attachment control is disabled, the referral steps are shown, and the
// referral is recorded.
func TestConsoleInvestigationChromium(t *testing.T) {
	chromium := needTool(t, "chromium", "chromium")
	o := proxyStartOrigins(t)
	in, base, _ := consoleStart(t)
	const dslPass, headPass = "Heron-Marsh-Quill-57", "Kestrel-Harbour-Lantern-9"
	in.cli(t, "Volcano-Lava-Magma-42\n", "users", "add", "amy", "--name", "Amy Pupil", "--role", "pupil", "--groups", "pupils", "--password-stdin", "--by", "admin")
	in.cli(t, dslPass+"\n", "users", "add", "ms.dsl", "--name", "Dee Slade", "--role", "dsl", "--password-stdin", "--by", "admin")
	in.cli(t, headPass+"\n", "users", "add", "head", "--name", "Hana Head", "--role", "slt", "--password-stdin", "--by", "admin")
	first, second := investigationIncidents(t, in.data)

	shotFile := filepath.Join(t.TempDir(), "evidence.png")
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	img.Set(5, 5, color.RGBA{200, 0, 0, 255})
	f, err := os.Create(shotFile)
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, img)
	f.Close()

	b := newConsoleBrowser(t, chromium, in)
	step, text := b.step, b.text
	signIn := func(user, password string) {
		t.Helper()
		step("sign in "+user, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("username")),
			chromedp.SendKeys(chromedp.ID("username"), user), chromedp.SendKeys(chromedp.ID("password"), password),
			chromedp.Submit(chromedp.ID("username")), chromedp.WaitVisible(chromedp.ID("secret")))
		code, err := identity.TOTPCodeAt(strings.ReplaceAll(text("#secret"), " ", ""), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		step("enrol "+user, chromedp.SendKeys(chromedp.ID("code"), code), chromedp.Submit(chromedp.ID("code")), chromedp.WaitVisible(chromedp.ID("codes")))
	}
	signIn("ms.dsl", dslPass)

	step("open form", chromedp.Navigate(fmt.Sprintf("%s/incidents/%d/investigation", base, first)), chromedp.WaitVisible(chromedp.ID("computer_name")))
	step("open", chromedp.SetValue(chromedp.ID("reason_kind"), "inappropriate-content"),
		chromedp.SendKeys(chromedp.ID("reason"), "Adult searches reported by the class teacher"),
		chromedp.SendKeys(chromedp.ID("computer_name"), "SAFEGUARD-01"),
		chromedp.SendKeys(chromedp.ID("computer_location"), "DSL office, room 12"),
		chromedp.Click(chromedp.ID("open")), chromedp.WaitVisible(chromedp.ID("record")))
	if got := text("#state"); got != "open" {
		t.Errorf("state %q", got)
	}
	if got := text("#incident-status"); got != store.IncidentInvestigating {
		t.Errorf("incident status %q", got)
	}
	if got := text("#computer"); got != "SAFEGUARD-01, DSL office, room 12" {
		t.Errorf("computer %q", got)
	}
	record, err := chromedp.Run(b.ctx, chromedp.Evaluate[string]("location.pathname"))
	if err != nil {
		t.Fatal(err)
	}

	// The dsl's own browsing through the proxy, identified as her.
	site := "http://ok.test:" + o.http + "/reviewed-page"
	if code, _, _ := in.curl(t, "127.0.0.3", "--proxy-user", "ms.dsl:"+dslPass, site); code != 200 {
		t.Fatalf("the dsl's browsing: %d", code)
	}
	waitFor(t, 20*time.Second, "the reviewer's browsing on the record", func() bool {
		chromedp.Do(b.ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("record")))
		s, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("main")))
		return strings.Contains(s, "ok.test:"+o.http+"/reviewed-page")
	})

	step("add site", chromedp.SendKeys(chromedp.ID("address"), "http://game.test/play"),
		chromedp.SetValue(chromedp.ID("concern_kind"), "inappropriate-content"),
		chromedp.SendKeys(chromedp.ID("concern"), "Played during lessons"),
		chromedp.Click(chromedp.ID("add-site")), chromedp.WaitVisible(chromedp.ID("sites")))
	step("attach", chromedp.SetUploadFiles(chromedp.ID("screenshot"), []string{shotFile}),
		chromedp.Click(chromedp.ID("attach")), chromedp.WaitVisible(chromedp.CSS("a.shot")))
	if got := text("#notice"); got != "Screenshot attached." {
		t.Errorf("notice %q", got)
	}
	step("sign", chromedp.SendKeys(chromedp.ID("position"), "Designated safeguarding lead"),
		chromedp.SendKeys(chromedp.ID("secret"), dslPass), chromedp.Click(chromedp.ID("sign")), chromedp.WaitVisible(chromedp.ID("signatures")))
	step("conclude alone", chromedp.SendKeys(chromedp.ID("conclusion-text"), "The concern has substance"),
		chromedp.SendKeys(chromedp.ID("action-text"), "Parents informed"),
		chromedp.Click(chromedp.ID("conclude")), chromedp.WaitVisible(chromedp.ID("error")))
	if got := text("#error"); !strings.Contains(got, "Two different reviewers must each sign") {
		t.Errorf("one reviewer concluded: %q", got)
	}
	if got := text("#state"); got != "open" {
		t.Errorf("state after a lone conclusion %q", got)
	}

	step("sign out", chromedp.Submit(chromedp.CSS(".who form")), chromedp.WaitVisible(chromedp.ID("username")))
	signIn("head", headPass)
	step("record", chromedp.Navigate(base+record), chromedp.WaitVisible(chromedp.ID("sign-form")))
	step("wrong password", chromedp.SendKeys(chromedp.ID("position"), "Headteacher"),
		chromedp.SendKeys(chromedp.ID("secret"), "not-my-password"), chromedp.Click(chromedp.ID("sign")), chromedp.WaitVisible(chromedp.ID("error")))
	if got := text("#error"); !strings.Contains(got, "not right") {
		t.Errorf("wrong password: %q", got)
	}
	step("sign", chromedp.Navigate(base+record), chromedp.WaitVisible(chromedp.ID("sign-form")),
		chromedp.SendKeys(chromedp.ID("position"), "Headteacher"),
		chromedp.SendKeys(chromedp.ID("secret"), headPass), chromedp.Click(chromedp.ID("sign")), chromedp.WaitVisible(chromedp.ID("notice")))
	step("conclude", chromedp.SendKeys(chromedp.ID("conclusion-text"), "The concern has substance"),
		chromedp.SendKeys(chromedp.ID("action-text"), "Parents informed; games blocked for the class"),
		chromedp.Click(chromedp.ID("conclude")), chromedp.WaitVisible(chromedp.ID("conclusion")))
	if got := text("#state"); got != "concluded" {
		t.Errorf("state %q", got)
	}
	sigs := text("#signatures")
	if !strings.Contains(sigs, "Dee Slade, Designated safeguarding lead") || !strings.Contains(sigs, "Hana Head, Headteacher") || strings.Count(sigs, "with their password from 127.0.0.1") != 2 {
		t.Errorf("signatures: %q", sigs)
	}
	if got := text("#browsing"); !strings.Contains(got, "ms.dsl") || !strings.Contains(got, "/reviewed-page") {
		t.Errorf("browsing copied into the record: %q", got)
	}

	step("print", chromedp.Navigate(base+record+"/print"), chromedp.WaitVisible(chromedp.ID("form")))
	for sel, want := range map[string]string{
		"#p-group": "Online safety group", "#p-reviewer-1": "Dee Slade", "#p-reviewer-2": "Hana Head",
		"#p-computer": "SAFEGUARD-01, DSL office, room 12", "#p-sites": "http://game.test/play", "#p-conclusion": "Parents informed; games blocked for the class",
	} {
		if got := text(sel); !strings.Contains(got, want) {
			t.Errorf("print %s: %q lacks %q", sel, got, want)
		}
	}
	if got := text("#p-reviewer-2"); !strings.Contains(got, "Signed electronically by head with their password") {
		t.Errorf("second signature: %q", got)
	}
	b.shot("console-investigation-print.png")

	// The illegal path.
	step("open csam", chromedp.Navigate(fmt.Sprintf("%s/incidents/%d/investigation", base, second)), chromedp.WaitVisible(chromedp.ID("computer_name")),
		chromedp.SetValue(chromedp.ID("reason_kind"), "child-sexual-abuse-material"),
		chromedp.SendKeys(chromedp.ID("reason"), "A pupil reported images"),
		chromedp.SendKeys(chromedp.ID("computer_name"), "SAFEGUARD-01"),
		chromedp.SendKeys(chromedp.ID("computer_location"), "DSL office, room 12"),
		chromedp.Click(chromedp.ID("open")), chromedp.WaitVisible(chromedp.ID("stopped")))
	disabled, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.ID("screenshot-fieldset"), "disabled"))
	if err != nil || !disabled.Exists {
		t.Errorf("the attachment control is not disabled: %+v %v", disabled, err)
	}
	enabled, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("!document.getElementById('screenshot').matches(':disabled')"))
	if err != nil || enabled {
		t.Errorf("the file input can be used: %v %v", enabled, err)
	}
	steps := text("#referral-steps")
	for _, want := range []string{"999", "https://www.ceop.police.uk/ceop-reporting/", "https://report.iwf.org.uk/", "https://www.police.uk/"} {
		if !strings.Contains(steps, want) {
			t.Errorf("referral steps lack %q: %q", want, steps)
		}
	}
	b.shot("console-investigation-stopped.png")
	step("referral", chromedp.SendKeys(chromedp.ID("referral-to"), "Police"),
		chromedp.SendKeys(chromedp.ID("referral-reference"), "CAD 4711/02"),
		chromedp.Click(chromedp.ID("record-referral")), chromedp.WaitVisible(chromedp.ID("referrals")))
	if got := text("#referrals"); !strings.Contains(got, "Police") || !strings.Contains(got, "CAD 4711/02") || !strings.Contains(got, "recorded by head") {
		t.Errorf("referral: %q", got)
	}
	if out := in.cli(t, "", "audit", "list"); !strings.Contains(out, "investigation.sign") || !strings.Contains(out, "investigation.referral") || !strings.Contains(out, "incident.referral") {
		t.Errorf("audit trail:\n%s", out)
	}
}
