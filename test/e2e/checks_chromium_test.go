package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"schoolgate/internal/identity"
)

// TestChecksChromium: the technical lead signs in (TOTP enrolled) to the
// real binary's console in headless Chromium; the dashboard warns that
// no annual review is recorded; they record a failed check by hand with
// the form, which opens the check with its finding; the dashboard then
// shows the open finding. The checks page is photographed.
func TestChecksChromium(t *testing.T) {
	chromium := needTool(t, "chromium", "chromium")
	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	for name, body := range map[string]string{"illegal.txt": "bad.test\n", "adult.txt": "adult.test\n", "gambling.txt": "bet.test\n",
		"games.txt": "game.test\n", "social.txt": "social.test\n"} {
		dnsWrite(t, in.dir, name, body)
	}
	dnsWrite(t, in.dir, "policy.yaml", pagesPolicy)
	in.env = append(os.Environ(), "SCHOOLGATE_DATA="+in.data)
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data)
	cmd.Env = in.env
	addrs := in.start(t, cmd, proxyListenRe, consoleListenRe)
	in.proxy = addrs[0]
	base := addrs[1]
	waitFor(t, 20*time.Second, "serve ready", func() bool { return strings.Contains(in.logText(), "schoolgate ready") })
	const password = "Copper-Meadow-Falcon-42"
	in.cli(t, password+"\n", "users", "add", "tech", "--name", "The Technician", "--role", "technical", "--password-stdin", "--by", "admin")

	b := newConsoleBrowser(t, chromium, in)
	step, text := b.step, b.text
	step("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "tech"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("username")),
		chromedp.WaitVisible(chromedp.ID("secret")))
	secret := strings.ReplaceAll(text("#secret"), " ", "")
	code, err := identity.TOTPCodeAt(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	step("enrol", chromedp.SendKeys(chromedp.ID("code"), code), chromedp.Submit(chromedp.ID("code")), chromedp.WaitVisible(chromedp.ID("codes")))

	step("dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("review-warning")))
	if got := text("#review-warning"); !strings.Contains(got, "No annual review recorded") {
		t.Errorf("review warning: %q", got)
	}
	if got := text("#open-findings"); got != "0" {
		t.Errorf("open findings before: %q", got)
	}
	step("record a check", chromedp.Navigate(base+"/checks"), chromedp.WaitVisible(chromedp.ID("check-form")),
		chromedp.SendKeys(chromedp.ID("check-target"), "ICT suite PC 4"),
		chromedp.SendKeys(chromedp.ID("check-tested"), "gambling and adult sites as a Year 7 pupil"),
		chromedp.Click(chromedp.CSS(`input[name="result"][value="fail"]`)),
		chromedp.SendKeys(chromedp.ID("check-actions"), "reported to the list provider"),
		chromedp.Click(chromedp.ID("record-check")),
		chromedp.WaitVisible(chromedp.ID("check-result")))
	if got := text("#check-result"); got != "fail" {
		t.Errorf("recorded result %q", got)
	}
	if got := text(".findings"); !strings.Contains(got, "A check by hand failed") || !strings.Contains(got, "open") {
		t.Errorf("the check's finding: %q", got)
	}
	step("checks list", chromedp.Navigate(base+"/checks"), chromedp.WaitVisible(chromedp.ID("checks")))
	if got := text("#checks"); !strings.Contains(got, "ICT suite PC 4") || !strings.Contains(got, "tech") {
		t.Errorf("checks list: %q", got)
	}
	b.shot("console-checks.png")
	step("dashboard again", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("open-findings")))
	if got := text("#open-findings"); got != "1" {
		t.Errorf("open findings after: %q", got)
	}
	if out := in.cli(t, "", "audit", "list"); !strings.Contains(out, "check.record") || !strings.Contains(out, "finding.raise") {
		t.Errorf("audit trail:\n%s", out)
	}
}
