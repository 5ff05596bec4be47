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

// TestSubjectAccessChromium: the dsl logs a pupil's subject-access
// request, gives a fresh code to review it, withholds the concern under
// an exemption with a reason, and sees what the export holds, as a dsl
// would in the browser. The review page is the screenshot in docs/.
func TestSubjectAccessChromium(t *testing.T) {
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
	in.cli(t, password+"\n", "users", "add", "amy", "--name", "Amy Shah", "--role", "dsl", "--password-stdin", "--by", "admin")
	in.cli(t, "", "users", "add", "jo", "--name", "Jo Pupil", "--role", "pupil", "--by", "admin")

	b := newConsoleBrowser(t, chromium, in)
	step, text := b.step, b.text
	step("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "amy"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("username")),
		chromedp.WaitVisible(chromedp.ID("secret")))
	secret := strings.ReplaceAll(text("#secret"), " ", "")
	code := func() string {
		c, err := identity.TOTPCodeAt(secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	step("enrol", chromedp.SendKeys(chromedp.ID("code"), code()), chromedp.Submit(chromedp.ID("code")), chromedp.WaitVisible(chromedp.ID("codes")))
	step("log the request", chromedp.Navigate(base+"/subject-access"), chromedp.WaitVisible(chromedp.ID("log-request")),
		chromedp.SendKeys(chromedp.ID("username"), "jo"), chromedp.Click(chromedp.ID("log-request")),
		chromedp.WaitVisible(chromedp.ID("confirm")))
	// The code used for enrolment is spent: wait for the next step's.
	time.Sleep(time.Until(time.Now().Truncate(30 * time.Second).Add(31 * time.Second)))
	step("fresh code", chromedp.SendKeys(chromedp.ID("code"), code()), chromedp.Click(chromedp.ID("confirm")),
		chromedp.WaitVisible(chromedp.ID("release")))
	page := text("main")
	for _, want := range []string{"jo (Jo Pupil)", "Web activity", "Requests to unblock a site", "Incidents you were involved in", "Withhold"} {
		if !strings.Contains(page, want) {
			t.Errorf("the review lacks %q:\n%s", want, page)
		}
	}
	b.shot("console-subject-access.png")
	step("list", chromedp.Navigate(base+"/subject-access"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	if got := text("table.list"); !strings.Contains(got, "jo") || !strings.Contains(got, "days left") {
		t.Errorf("the list: %q", got)
	}
}
