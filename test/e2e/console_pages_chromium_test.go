package e2e

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"schoolgate/internal/identity"
)

// pagesPolicy is a policy like the seeds' table: an illegal and a locked
// category, a schedule, three groups.
const pagesPolicy = `
site: {name: E2E High School, timezone: Europe/London}
categories:
  illegal: {title: Child sexual abuse images, illegal: true, sources: [{path: illegal.txt, format: domains}]}
  adult: {title: Pornography, locked: true, sources: [{path: adult.txt, format: domains}]}
  gambling: {title: On-line gambling, sources: [{path: gambling.txt, format: domains}]}
  games: {title: On-line gaming (non educational), sources: [{path: games.txt, format: domains}]}
  social: {title: Use of social media, sources: [{path: social.txt, format: domains}]}
schedules:
  social-time:
    - {days: [mon, tue, wed, thu, fri], from: "10:30", to: "10:45"}
    - {days: [mon, tue, wed, thu, fri], from: "12:15", to: "13:15"}
groups:
  staff: {networks: [127.0.0.3/32]}
  sixth-form: {networks: [127.0.0.5/32]}
  pupils: {networks: [127.0.0.1/32, 127.0.0.2/32]}
default_group: pupils
rules:
  illegal: {others: block}
  adult: {others: block}
  gambling: {staff: warn, others: block}
  games: {staff: allow, sixth-form: "allow during social-time", others: block}
  social: {staff: allow, sixth-form: "allow during social-time", pupils: permission}
default: allow
exceptions:
  - {hosts: [games.example], verdict: allow, groups: [sixth-form], reason: Computing coursework, until: "2099-07-20"}
dns: {listen: []}
admin: {listen: 127.0.0.1:0}
blockpage: {listen: 127.0.0.1:0}
proxy: {listen: 127.0.0.1:0}
console: {listen: 127.0.0.1:0, tls: off}
`

// TestConsolePagesChromium: the policy page of the real binary in
// headless Chromium, signed in as slt (TOTP enrolled): the table in the
// seeds' words and an explanation from the explain form; then the audit
// trail verifies. The policy page is photographed.
func TestConsolePagesChromium(t *testing.T) {
	chromium := needTool(t, "chromium", "chromium")
	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	for name, body := range map[string]string{"illegal.txt": "bad.test\n", "adult.txt": "adult.test\n", "gambling.txt": "bet.test\n",
		"games.txt": "game.test\n", "social.txt": "social.test\nsocial.example\n"} {
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
	const password = "Kestrel-Harbour-Lantern-9"
	in.cli(t, password+"\n", "users", "add", "head", "--name", "The Head", "--role", "slt", "--password-stdin", "--by", "admin")

	b := newConsoleBrowser(t, chromium, in)
	step, text := b.step, b.text
	step("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "head"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("username")),
		chromedp.WaitVisible(chromedp.ID("secret")))
	secret := strings.ReplaceAll(text("#secret"), " ", "")
	code, err := identity.TOTPCodeAt(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	step("enrol", chromedp.SendKeys(chromedp.ID("code"), code), chromedp.Submit(chromedp.ID("code")), chromedp.WaitVisible(chromedp.ID("codes")))

	q := url.Values{"target": {"https://social.example/feed"}, "who": {"sixth-form"}, "at": {"2026-03-09T11:00"}}
	step("policy", chromedp.Navigate(base+"/policy?"+q.Encode()), chromedp.WaitVisible(chromedp.ID("verdict")))
	if got := text("#cat-social td:nth-of-type(2)"); got != "Acceptable at certain times (Mon–Fri 10:30–10:45, 12:15–13:15)" {
		t.Errorf("sixth-form × social media: %q", got)
	}
	if got := text("#cat-illegal td:nth-of-type(1)"); got != "Unacceptable and illegal" {
		t.Errorf("staff × illegal: %q", got)
	}
	if got := text("#cat-adult th"); !strings.Contains(got, "Locked") {
		t.Errorf("adult row: %q", got)
	}
	if got := text("#verdict"); got != "block" {
		t.Errorf("explained verdict %q", got)
	}
	if got := text("#reason"); !strings.Contains(got, "social") {
		t.Errorf("reason %q", got)
	}
	if got := text("#exceptions"); !strings.Contains(got, "Computing coursework") {
		t.Errorf("exceptions: %q", got)
	}
	b.shot("console-policy.png")

	step("audit", chromedp.Navigate(base+"/audit?verify=1"), chromedp.WaitVisible(chromedp.ID("verify-result")))
	if got := text("#verify-result"); !strings.HasPrefix(got, "OK:") {
		t.Errorf("verify: %q", got)
	}
}
