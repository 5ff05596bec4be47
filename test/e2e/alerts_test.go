package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"schoolgate/internal/identity"
)

// alertsPolicy adds the console, a search rule over a keyword list file
// and the inspection of pupils' HTTPS to the proxy tests' policy; the
// illegal category needs no rule (the built-in one gives severity 5).
func alertsPolicy(httpsPort string) string {
	return proxyPolicyBase + `  connect_ports: [443, ` + httpsPort + `]
  inspect: [pupils]
  allow_destinations: [127.0.0.0/8]
console: {listen: 127.0.0.1:0, tls: off}
alerts:
  rules:
    - {name: gambling-attempts, title: Gambling sites, severity: 3, groups: [pupils], category: [gambling]}
    - {name: self-harm-searches, title: Self-harm searches, severity: 4, search: [self-harm]}
keywords:
  self-harm: {sources: [{path: self-harm.txt}]}
`
}

// alertsStart runs serve with alertsPolicy and returns it with the
// console's URL and the school CA's file for curl.
func alertsStart(t *testing.T) (*proxyInstance, *proxyOrigins, string, string) {
	t.Helper()
	needTool(t, "curl", "curl")
	o := proxyStartOrigins(t)
	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	for name, body := range proxyLists {
		dnsWrite(t, in.dir, name, body)
	}
	dnsWrite(t, in.dir, "self-harm.txt", "# a test list\nhurt myself\nself harm\n-self harm prevention\n")
	dnsWrite(t, in.dir, "policy.yaml", alertsPolicy(o.https))
	in.env = append(os.Environ(), "SCHOOLGATE_DATA="+in.data, "SSL_CERT_FILE="+o.caFile)
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data)
	cmd.Env = in.env
	cmd.Stdout = &lockedBuffer{}
	addrs := in.start(t, cmd, proxyListenRe, proxyPageRe, consoleListenRe)
	in.proxy, in.page = addrs[0], addrs[1]
	waitFor(t, 20*time.Second, "serve ready", func() bool { return strings.Contains(in.logText(), "schoolgate ready") })
	caPEM := filepath.Join(t.TempDir(), "school-ca.pem")
	if err := os.WriteFile(caPEM, []byte(in.cli(t, "", "ca", "export")), 0o644); err != nil {
		t.Fatal(err)
	}
	return in, o, addrs[2], caPEM
}

type apiAlert struct {
	ID       int64  `json:"id"`
	Rule     string `json:"rule"`
	Severity int    `json:"severity"`
	Count    int64  `json:"count"`
	User     string `json:"user"`
	Client   string `json:"client"`
	Status   string `json:"status"`
}

// apiGet calls the console's API with a bearer token.
func apiCall(t *testing.T, token, method, url, body string) (string, string) {
	t.Helper()
	args := []string{"-sS", "-o", "-", "-w", "\n%{http_code}", "-X", method, "-H", "Authorization: Bearer " + token}
	if body != "" {
		args = append(args, "-H", "Content-Type: application/json", "-d", body)
	}
	b, err := exec.Command("curl", append(args, url)...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %s: %v\n%s", url, err, b)
	}
	return strings.TrimSuffix(string(b[:len(b)-3]), "\n"), string(b[len(b)-3:])
}

// waitAlert polls the API until an alert of rule is listed, and returns
// it with the time it took.
func waitAlert(t *testing.T, token, base, rule string, within time.Duration) (apiAlert, time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		body, code := apiCall(t, token, "GET", base+"/api/v1/alerts?status=new", "")
		var got struct {
			Alerts []apiAlert `json:"alerts"`
		}
		if code != "200" || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("alerts: %s %s", code, body)
		}
		for _, a := range got.Alerts {
			if a.Rule == rule {
				return a, time.Since(start)
			}
		}
		if time.Since(start) > within {
			t.Fatalf("no %s alert within %v: %s\n%s", rule, within, body, "")
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestAlertsEndToEnd: the real binary. A pupil's attempt on the illegal
// test category raises a severity-5 alert visible to the dsl through the
// API within one second; a search for a phrase of the self-harm keyword
// list through the inspecting proxy raises a severity-4 search alert
// within one second (an excluded phrase does not); repeats fold into one
// alert with a count; a teacher and a governor get 403; the CLI lists,
// acknowledges and closes; close refuses an unknown field.
func TestAlertsEndToEnd(t *testing.T) {
	in, o, base, caPEM := alertsStart(t)
	in.cli(t, "", "users", "add", "amy", "--name", "Amy Shah", "--role", "dsl", "--by", "admin")
	in.cli(t, "", "users", "add", "mrsmith", "--role", "teacher", "--by", "admin")
	in.cli(t, "", "users", "add", "gov", "--role", "governor", "--by", "admin")
	dsl := strings.TrimSpace(in.cli(t, "", "tokens", "create", "--user", "amy", "--name", "e2e", "--by", "admin"))

	if code, _, _ := in.curl(t, "127.0.0.2", "--cacert", caPEM, "https://bad.test:"+o.https+"/"); code != 403 {
		t.Fatalf("illegal site: %d", code)
	}
	a, took := waitAlert(t, dsl, base, "illegal-content", time.Second)
	if a.Severity != 5 || a.Client != "127.0.0.2" || a.Count != 1 {
		t.Errorf("illegal alert %+v", a)
	}
	t.Logf("illegal attempt → severity 5 alert in %v", took)

	if code, _, _ := in.curl(t, "127.0.0.2", "--cacert", caPEM, "https://www.google.com:"+o.https+"/search?q=self+harm+prevention+charity"); code != 200 {
		t.Fatalf("an excluded search: %d", code)
	}
	if code, _, _ := in.curl(t, "127.0.0.2", "--cacert", caPEM, "https://www.google.com:"+o.https+"/search?q=how+to+hurt+myself"); code != 200 {
		t.Fatalf("search: %d", code)
	}
	s, took := waitAlert(t, dsl, base, "self-harm-searches", time.Second)
	if s.Severity != 4 || s.Count != 1 {
		t.Errorf("search alert %+v", s)
	}
	t.Logf("search → severity 4 alert in %v", took)

	// Repeats fold: three more gambling attempts, one alert.
	for range 3 {
		in.curl(t, "127.0.0.2", "http://bet.test:"+o.http+"/")
	}
	waitFor(t, 5*time.Second, "three gambling attempts folded into one alert", func() bool {
		body, _ := apiCall(t, dsl, "GET", base+"/api/v1/alerts?status=all", "")
		return strings.Count(body, `"gambling-attempts"`) == 1 && strings.Contains(body, `"count": 3`)
	})

	for _, who := range []string{"mrsmith", "gov"} {
		tok := strings.TrimSpace(in.cli(t, "", "tokens", "create", "--user", who, "--name", "e2e", "--by", "admin"))
		for _, p := range []string{"/api/v1/alerts", "/api/v1/alerts/count"} {
			if body, code := apiCall(t, tok, "GET", base+p, ""); code != "403" || strings.Contains(body, "127.0.0.2") {
				t.Errorf("%s %s: %s %s", who, p, code, body)
			}
		}
	}

	if body, code := apiCall(t, dsl, "GET", base+"/api/v1/alerts/count", ""); code != "200" || !strings.Contains(body, `"new": 3`) {
		t.Errorf("count: %s %s", code, body)
	}
	out := in.cli(t, "", "alerts", "list", "--by", "amy")
	if !strings.Contains(out, "illegal-content") || !strings.Contains(out, "self-harm-searches") {
		t.Errorf("alerts list:\n%s", out)
	}
	if out := in.cli(t, "", "alerts", "ack", fmt.Sprint(a.ID), "--by", "amy"); !strings.Contains(out, "acknowledged") {
		t.Errorf("ack: %s", out)
	}
	if _, errOut, err := in.cliRun("", "alerts", "list", "--by", "mrsmith"); err == nil || !strings.Contains(errOut, "dsl, esafety-lead, slt or technical") {
		t.Errorf("a teacher's list: %v %s", err, errOut)
	}
	if body, code := apiCall(t, dsl, "POST", fmt.Sprintf("%s/api/v1/alerts/%d/close", base, a.ID), `{"outcome":"true-concern","why":"x"}`); code != "422" || !strings.Contains(body, "why") {
		t.Errorf("close with an unknown field: %s %s", code, body)
	}
	if body, code := apiCall(t, dsl, "POST", fmt.Sprintf("%s/api/v1/alerts/%d/close", base, a.ID), `{"outcome":"true-concern","note":"referred"}`); code != "200" {
		t.Errorf("close: %s %s", code, body)
	}
	if out := in.cli(t, "", "audit", "list"); !strings.Contains(out, "alert.raise") || !strings.Contains(out, "alert.ack") || !strings.Contains(out, "alert.close") {
		t.Errorf("audit trail:\n%s", out)
	}
	// Nothing about a child in the system log.
	if log := in.logText(); strings.Contains(log, "hurt myself") || strings.Contains(log, "hurt+myself") {
		t.Error("the search term is in the system log")
	}
}

// TestAlertsChromium: the dsl signs in (enrolling an authenticator),
// the menu shows the live count of new alerts, the alerts page lists the
// pupil's illegal attempt, and a new alert raised while the page is open
// updates the count without a reload (static/alerts.js).
func TestAlertsChromium(t *testing.T) {
	chromium := needTool(t, "chromium", "chromium")
	in, o, base, caPEM := alertsStart(t)
	const password = "Kestrel-Harbour-Lantern-9"
	in.cli(t, password+"\n", "users", "add", "amy", "--name", "Amy Shah", "--role", "dsl", "--password-stdin", "--by", "admin")
	in.curl(t, "127.0.0.2", "--cacert", caPEM, "https://bad.test:"+o.https+"/")

	b := newConsoleBrowser(t, chromium, in)
	b.step("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "amy"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("username")),
		chromedp.WaitVisible(chromedp.ID("secret")))
	secret := strings.ReplaceAll(b.text("#secret"), " ", "")
	code, err := identity.TOTPCodeAt(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.step("enrol", chromedp.SendKeys(chromedp.ID("code"), code), chromedp.Submit(chromedp.ID("code")), chromedp.WaitVisible(chromedp.ID("codes")))
	b.step("alerts", chromedp.Navigate(base+"/alerts"), chromedp.WaitVisible(chromedp.ID("alerts")))
	if n := b.text("#alerts-new"); n != "1" {
		t.Errorf("live count %q, want 1", n)
	}
	if row := b.text("#alerts tbody"); !strings.Contains(row, "Illegal content") || !strings.Contains(row, "127.0.0.2") {
		t.Errorf("alerts list: %q", row)
	}
	b.shot("console-alerts.png")
	// A second alert while the page is open: the count follows.
	in.curl(t, "127.0.0.2", "--cacert", caPEM, "https://www.google.com:"+o.https+"/search?q=how+to+hurt+myself")
	waitFor(t, 25*time.Second, "the live count to reach 2 without a reload", func() bool { return b.text("#alerts-new") == "2" })
	b.step("alert", chromedp.Navigate(base+"/alerts/1"), chromedp.WaitVisible(chromedp.ID("ack")))
	b.shot("console-alert.png")
	b.step("ack", chromedp.Click(chromedp.ID("ack")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if n := b.text("#alerts-new"); n != "1" {
		t.Errorf("count after acknowledging: %q", n)
	}
}
