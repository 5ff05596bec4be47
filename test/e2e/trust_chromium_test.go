package e2e

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"schoolgate/internal/identity"
)

// TestTrustDashboardChromium: one database, two schools (the node's
// school-a and school-b, made by naming it in users add), the trust's
// dsl made with --trust. A blocked look-up through school-a's proxy
// counts as school-a's block today; the dashboard lists both schools,
// says neither has had a filtering check, and "no report" for their
// nodes. A school's dsl does not get the page. The screenshot is
// docs/console-trust.png.
var schoolABlocked = regexp.MustCompile(`Oak Primary \(school-a\)\s+1\s`)

func TestTrustDashboardChromium(t *testing.T) {
	chromium := needTool(t, "chromium", "chromium")
	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	for name, body := range map[string]string{"illegal.txt": "bad.test\n", "adult.txt": "adult.test\n", "gambling.txt": "bet.test\n",
		"games.txt": "game.test\n", "social.txt": "social.test\n"} {
		dnsWrite(t, in.dir, name, body)
	}
	policy := strings.Replace(pagesPolicy, "site: {name: E2E High School,", "site: {id: school-a, name: Oak Primary,", 1)
	dnsWrite(t, in.dir, "policy.yaml", policy)
	in.env = append(os.Environ(), "SCHOOLGATE_DATA="+in.data)
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data)
	cmd.Env = in.env
	addrs := in.start(t, cmd, proxyListenRe, consoleListenRe)
	in.proxy = addrs[0]
	base := addrs[1]
	waitFor(t, 20*time.Second, "serve ready", func() bool { return strings.Contains(in.logText(), "schoolgate ready") })
	const password = "Copper-Meadow-Falcon-42"
	in.cli(t, password+"\n", "users", "add", "tess", "--name", "Tess Trust", "--trust", "--role", "trust-dsl", "--password-stdin", "--by", "admin")
	in.cli(t, "", "users", "add", "bea", "--name", "Bea Pupil", "--role", "pupil", "--site", "school-b", "--by", "admin")
	in.cli(t, password+"\n", "users", "add", "ann", "--name", "Ann DSL", "--role", "dsl", "--site", "school-a", "--password-stdin", "--by", "admin")
	// With two schools, a command that names none stops and names them.
	if _, stderr, err := in.cliRun("", "users", "list"); err == nil || !strings.Contains(stderr, "school-a, school-b") {
		t.Errorf("users list without --site: %v %s", err, stderr)
	}
	if _, stderr, err := in.cliRun("", "users", "add", "x", "--role", "trust-dsl", "--site", "school-a", "--by", "admin"); err == nil || !strings.Contains(stderr, "trust role") {
		t.Errorf("a trust role at a school: %v %s", err, stderr)
	}

	// A blocked page through school-a's proxy.
	pc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: in.proxy})}, Timeout: 10 * time.Second}
	if resp, err := pc.Get("http://game.test/"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}

	b := newConsoleBrowser(t, chromium, in)
	step, text := b.step, b.text
	step("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "tess"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("username")),
		chromedp.WaitVisible(chromedp.ID("secret")))
	secret := strings.ReplaceAll(text("#secret"), " ", "")
	code, err := identity.TOTPCodeAt(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	step("enrol", chromedp.SendKeys(chromedp.ID("code"), code), chromedp.Submit(chromedp.ID("code")), chromedp.WaitVisible(chromedp.ID("codes")))
	var table string
	waitFor(t, 15*time.Second, "school-a's block counted", func() bool {
		step("trust", chromedp.Navigate(base+"/trust"), chromedp.WaitVisible(chromedp.ID("trust")))
		table = text("#trust")
		return schoolABlocked.MatchString(table)
	})
	for _, want := range []string{"school-b", "no report", "never"} {
		if !strings.Contains(table, want) {
			t.Errorf("the trust dashboard lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "Bea") || strings.Contains(table, "game.test") {
		t.Errorf("the dashboard names a pupil or a host:\n%s", table)
	}
	b.shot("console-trust.png")
}
