package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"schoolgate/internal/identity"
)

// lockedBuffer is a goroutine-safe buffer for a process's standard output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

var (
	consoleListenRe = regexp.MustCompile(`msg="console listening" url=(\S+)`)
	setupLinkRe     = regexp.MustCompile(`(http://\S+/setup\?token=\S+)`)
)

// consoleStart runs serve with the proxy (basic auth) and the console
// (plain HTTP on loopback); it returns the instance, the console's URL
// and serve's standard output.
func consoleStart(t *testing.T) (*proxyInstance, string, *lockedBuffer) {
	t.Helper()
	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	for name, body := range proxyLists {
		dnsWrite(t, in.dir, name, body)
	}
	dnsWrite(t, in.dir, "policy.yaml", proxyPolicyBase+"  auth: basic\n  realm: E2E School\n  allow_destinations: [127.0.0.0/8]\nconsole: {listen: 127.0.0.1:0, tls: off}\n")
	in.env = append(os.Environ(), "SCHOOLGATE_DATA="+in.data)
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data)
	cmd.Env = in.env
	out := &lockedBuffer{}
	cmd.Stdout = out
	addrs := in.start(t, cmd, proxyListenRe, proxyPageRe, consoleListenRe)
	in.proxy, in.page = addrs[0], addrs[1]
	waitFor(t, 20*time.Second, "serve ready", func() bool { return strings.Contains(in.logText(), "schoolgate ready") })
	// Standard output is copied by its own goroutine: it may trail the log.
	// A new data directory: the set-up link is printed too.
	waitFor(t, 10*time.Second, "the console's address and set-up link on standard output", func() bool {
		return strings.Contains(out.String(), "Safeguarding console: ") && setupLinkRe.MatchString(out.String())
	})
	return in, addrs[2], out
}

// TestConsoleChromium: the whole console in headless Chromium. The
// set-up link serve prints creates the first account; it signs in,
// enrols its authenticator (the test computes the codes), and approves a
// pupil's pending request, after which the pupil's next request passes
// the proxy. The dashboard and the requests page are photographed.
func TestConsoleChromium(t *testing.T) {
	chromium := needTool(t, "chromium", "chromium")
	o := proxyStartOrigins(t)
	in, base, stdout := consoleStart(t)
	if strings.Contains(in.logText(), "token=") {
		t.Fatal("the set-up link is in the log")
	}
	m := setupLinkRe.FindStringSubmatch(stdout.String())
	if m == nil || !strings.Contains(stdout.String(), "Safeguarding console: "+base+"/") {
		t.Fatalf("no set-up link on standard output:\n%s", stdout.String())
	}
	link := m[1]

	// A pupil asks for a site that needs permission; a few blocks make
	// the dashboard's chart.
	in.cli(t, "Volcano-Lava-Magma-42\n", "users", "add", "amy", "--name", "Amy <i>Pupil</i>", "--role", "pupil", "--groups", "pupils", "--password-stdin", "--by", "admin")
	amy := []string{"--proxy-user", "amy:Volcano-Lava-Magma-42"}
	site := "http://social.test:" + o.http + "/feed"
	code, body, _ := in.curl(t, "127.0.0.2", append(amy, site)...)
	if code != 403 {
		t.Fatalf("before: %d", code)
	}
	action, form := pageForm(t, body, "request")
	code, body, _ = in.curl(t, "127.0.0.2", append(amy, curlForm(action, form, "reason", "Our class project on <b>online safety</b>")...)...)
	if code != 200 || !strings.Contains(body, "Request sent") {
		t.Fatalf("request: %d\n%s", code, body)
	}
	for _, u := range []string{"http://bet.test:" + o.http + "/", "http://bet.test:" + o.http + "/x", "http://bad.test:" + o.http + "/"} {
		in.curl(t, "127.0.0.2", append(amy, u)...)
	}

	b := newConsoleBrowser(t, chromium, in)
	step, text, shot, tctx := b.step, b.text, b.shot, b.ctx

	const password = "Kestrel-Harbour-Lantern-9"
	step("set-up link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "mrsmith"),
		chromedp.SendKeys(chromedp.ID("display_name"), "Mr Smith"),
		chromedp.Click(chromedp.ID("role-technical")),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("confirm"), password),
		chromedp.Submit(chromedp.ID("username")),
		chromedp.WaitVisible(chromedp.ID("created")))
	step("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "mrsmith"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("username")),
		chromedp.WaitVisible(chromedp.ID("secret")))
	secret := strings.ReplaceAll(text("#secret"), " ", "")
	totp, err := identity.TOTPCodeAt(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	step("enrol", chromedp.SendKeys(chromedp.ID("code"), totp), chromedp.Submit(chromedp.ID("code")), chromedp.WaitVisible(chromedp.ID("codes")))
	if n := strings.Count(text("#codes"), "-"); n != 10 {
		t.Errorf("%d recovery codes", n)
	}

	step("requests", chromedp.Navigate(base+"/requests"), chromedp.WaitVisible(chromedp.ID("approve-1")))
	if who := text("#request-1 .requester"); who != "amy" {
		t.Errorf("request from %q", who)
	}
	// The block page adds its reference to the pupil's reason.
	if reason := text("#request-1 .reason"); !strings.HasPrefix(reason, "Our class project on <b>online safety</b> [block page SG-") {
		t.Errorf("reason shown as %q", reason)
	}
	shot("console-requests.png")
	step("approve", chromedp.SendKeys(chromedp.ID("approve-reason-1"), "Project work"),
		chromedp.Click(chromedp.ID("approve-1")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if n := text(".notice"); n != "Request approved." {
		t.Errorf("notice %q", n)
	}
	waitFor(t, 10*time.Second, "amy allowed after approval", func() bool {
		code, body, _ := in.curl(t, "127.0.0.2", append(amy, site)...)
		return code == 200 && strings.Contains(body, "origin says hello")
	})

	step("dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("pending")))
	waitFor(t, 15*time.Second, "blocks counted on the dashboard", func() bool {
		chromedp.Do(tctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("pending")))
		return text("#today-blocks") != "0"
	})
	if p := text("#pending"); p != "0" {
		t.Errorf("pending after approval: %s", p)
	}
	shot("console-dashboard.png")
	step("grants", chromedp.Navigate(base+"/grants"), chromedp.WaitVisible(chromedp.ID("grant-reason")))
	shot("console-grants.png")
	if out := in.cli(t, "", "audit", "list"); !strings.Contains(out, "console.signin") || !strings.Contains(out, "console.totp.enrol") || !strings.Contains(out, "request.approve") {
		t.Errorf("audit trail:\n%s", out)
	}
}

// TestConsoleTLS: without console.tls the console serves HTTPS with a
// certificate from the school CA (created on first start, its key 0600),
// with HSTS and a Secure, HttpOnly session cookie; a cross-site POST is
// refused.
func TestConsoleTLS(t *testing.T) {
	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	for name, body := range proxyLists {
		dnsWrite(t, in.dir, name, body)
	}
	dnsWrite(t, in.dir, "policy.yaml", proxyPolicyBase+"console: {listen: 127.0.0.1:0}\n")
	in.env = append(os.Environ(), "SCHOOLGATE_DATA="+in.data)
	in.cli(t, "Kestrel-Harbour-Lantern-9\n", "users", "add", "mrsmith", "--role", "teacher", "--password-stdin", "--by", "admin")
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data)
	cmd.Env = in.env
	out := &lockedBuffer{}
	cmd.Stdout = out
	base := in.start(t, cmd, consoleListenRe)[0]
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("console URL %s", base)
	}
	waitFor(t, 20*time.Second, "serve ready", func() bool { return strings.Contains(in.logText(), "schoolgate ready") })
	if strings.Contains(out.String(), "/setup?token=") {
		t.Errorf("a set-up link although mrsmith can sign in:\n%s", out.String())
	}
	fi, err := os.Stat(filepath.Join(in.data, "ca", "ca.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("CA key: %v %v", fi, err)
	}
	cacert := filepath.Join(in.data, "ca", "ca.crt")
	curl := func(args ...string) string {
		t.Helper()
		all := append([]string{"-sS", "-D", "-", "-o", "/dev/null", "--cacert", cacert}, args...)
		b, err := exec.Command("curl", all...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, b)
		}
		return string(b)
	}
	h := curl(base + "/login")
	if !strings.HasPrefix(h, "HTTP/1.1 200") && !strings.HasPrefix(h, "HTTP/2 200") || !strings.Contains(strings.ToLower(h), "strict-transport-security: max-age=") {
		t.Errorf("GET /login:\n%s", h)
	}
	h = curl("--data-urlencode", "username=mrsmith", "--data-urlencode", "password=Kestrel-Harbour-Lantern-9", base+"/login")
	lh := strings.ToLower(h)
	if !strings.Contains(h, " 303") || !strings.Contains(lh, "set-cookie: __host-schoolgate-console=") || !strings.Contains(lh, "; httponly; secure; samesite=lax") {
		t.Errorf("sign-in:\n%s", h)
	}
	h = curl("-H", "Origin: https://evil.example", "--data-urlencode", "username=mrsmith", "--data-urlencode", "password=Kestrel-Harbour-Lantern-9", base+"/login")
	if !strings.Contains(h, " 403") || strings.Contains(strings.ToLower(h), "set-cookie") {
		t.Errorf("cross-site sign-in:\n%s", h)
	}
}
