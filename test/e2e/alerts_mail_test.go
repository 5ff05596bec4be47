package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mailpitE2E is a real SMTP server on loopback (github.com/axllent/mailpit,
// installed by scripts/test.sh) whose HTTP API the test reads back.
type mailpitE2E struct{ smtp, api string }

func startMailpitE2E(t *testing.T) *mailpitE2E {
	t.Helper()
	bin, err := exec.LookPath("mailpit")
	if err != nil {
		if out, e := exec.Command("go", "env", "GOPATH").Output(); e == nil {
			if p := filepath.Join(strings.TrimSpace(string(out)), "bin", "mailpit"); fileExists(p) {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("mailpit is not installed (scripts/test.sh runs go install github.com/axllent/mailpit@v1.33.1)")
		}
		t.Skip("mailpit is not installed")
	}
	m := &mailpitE2E{smtp: "127.0.0.1:" + freePort(t), api: "127.0.0.1:" + freePort(t)}
	cmd := exec.Command(bin, "--smtp", m.smtp, "--listen", m.api, "--database", filepath.Join(t.TempDir(), "mailpit.db"),
		"--disable-version-check", "--smtp-disable-rdns", "--quiet")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitFor(t, 20*time.Second, "mailpit", func() bool {
		c, err := net.Dial("tcp", m.smtp)
		if err != nil {
			return false
		}
		c.Close()
		resp, err := http.Get("http://" + m.api + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
	return m
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// mailE2E is one message: who it went to, and everything in it.
type mailE2E struct {
	To   string
	Raw  string
	Subj string
}

func (m *mailpitE2E) messages(t *testing.T) []mailE2E {
	t.Helper()
	get := func(path string) []byte {
		resp, err := http.Get("http://" + m.api + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	var list struct {
		Messages []struct {
			ID      string
			Subject string
			To      []struct{ Address string }
		}
	}
	if err := json.Unmarshal(get("/api/v1/messages"), &list); err != nil {
		t.Fatal(err)
	}
	var out []mailE2E
	for _, msg := range list.Messages {
		to := ""
		for _, a := range msg.To {
			to += a.Address + " "
		}
		out = append(out, mailE2E{To: strings.TrimSpace(to), Subj: msg.Subject, Raw: string(get("/api/v1/message/" + msg.ID + "/raw"))})
	}
	return out
}

// TestAlertEmailEndToEnd: the real binary, a real SMTP server. A pupil's
// search for a phrase of the self-harm list through the inspecting proxy
// raises a severity-4 alert; the dsl's e-mail arrives at once, with no
// name, no search term and no site in it; nobody acknowledges, so after
// the rule's escalate_after the escalation contact gets it; a second
// alert, acknowledged at once, is never escalated.
func TestAlertEmailEndToEnd(t *testing.T) {
	mp := startMailpitE2E(t)
	needTool(t, "curl", "curl")
	o := proxyStartOrigins(t)
	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	for name, body := range proxyLists {
		dnsWrite(t, in.dir, name, body)
	}
	dnsWrite(t, in.dir, "self-harm.txt", "hurt myself\nself harm\n")
	policy := strings.Replace(alertsPolicy(o.https), `alerts:
  rules:
    - {name: gambling-attempts, title: Gambling sites, severity: 3, groups: [pupils], category: [gambling]}
    - {name: self-harm-searches, title: Self-harm searches, severity: 4, search: [self-harm]}`, `alerts:
  console_url: https://console.school.example
  smtp: {address: "`+mp.smtp+`", from: "schoolgate@school.example", starttls: false}
  contacts:
    - {name: Amy Shah, email: dsl@school.example, severities: [3, 4, 5]}
    - {name: Ben Cole, email: deputy@school.example, severities: [5], escalation: true}
  rules:
    - {name: gambling-attempts, title: Gambling sites, severity: 3, groups: [pupils], category: [gambling], escalate_after: 4s}
    - {name: self-harm-searches, title: Self-harm searches, severity: 4, search: [self-harm], escalate_after: 4s}`, 1)
	if !strings.Contains(policy, "deputy@school.example") {
		t.Fatal("the policy's alerts section was not replaced")
	}
	dnsWrite(t, in.dir, "policy.yaml", policy)
	in.env = append(os.Environ(), "SCHOOLGATE_DATA="+in.data, "SSL_CERT_FILE="+o.caFile)
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data)
	cmd.Env = in.env
	cmd.Stdout = &lockedBuffer{}
	addrs := in.start(t, cmd, proxyListenRe, proxyPageRe, consoleListenRe)
	in.proxy, in.page = addrs[0], addrs[1]
	base := addrs[2]
	waitFor(t, 20*time.Second, "serve ready", func() bool { return strings.Contains(in.logText(), "schoolgate ready") })
	caPEM := filepath.Join(t.TempDir(), "school-ca.pem")
	if err := os.WriteFile(caPEM, []byte(in.cli(t, "", "ca", "export")), 0o644); err != nil {
		t.Fatal(err)
	}
	in.cli(t, "", "users", "add", "amy", "--name", "Amy Shah", "--role", "dsl", "--by", "admin")
	dsl := strings.TrimSpace(in.cli(t, "", "tokens", "create", "--user", "amy", "--name", "e2e", "--by", "admin"))

	// The search, from a pupil's address.
	if code, _, _ := in.curl(t, "127.0.0.2", "--cacert", caPEM, "https://www.google.com:"+o.https+"/search?q=how+to+hurt+myself"); code != 200 {
		t.Fatalf("search: %d", code)
	}
	a, took := waitAlert(t, dsl, base, "self-harm-searches", time.Second)
	t.Logf("search → alert in %v", took)
	var first []mailE2E
	waitFor(t, 10*time.Second, "the dsl's e-mail", func() bool { first = mp.messages(t); return len(first) >= 1 })
	m := first[0]
	if m.To != "dsl@school.example" {
		t.Errorf("first e-mail to %q", m.To)
	}
	for _, never := range []string{"hurt", "myself", "google", "127.0.0.2", "www."} {
		if strings.Contains(strings.ToLower(m.Raw), never) {
			t.Errorf("the e-mail carries %q:\n%s", never, m.Raw)
		}
	}
	for _, want := range []string{"Self-harm searches", "https://console.school.example/alerts/" + fmt.Sprint(a.ID)} {
		if !strings.Contains(m.Raw, want) {
			t.Errorf("the e-mail lacks %q:\n%s", want, m.Raw)
		}
	}

	// A second alert (gambling, severity 3), acknowledged at once.
	in.curl(t, "127.0.0.2", "http://bet.test:"+o.http+"/")
	g, _ := waitAlert(t, dsl, base, "gambling-attempts", time.Second)
	if body, code := apiCall(t, dsl, "POST", fmt.Sprintf("%s/api/v1/alerts/%d/ack", base, g.ID), ""); code != "200" {
		t.Fatalf("ack: %s %s", code, body)
	}
	// Nobody acknowledged the search alert: the deputy hears of it after
	// escalate_after (4 s; checked every second), and of nothing else.
	var all []mailE2E
	waitFor(t, 20*time.Second, "the escalation e-mail", func() bool {
		all = mp.messages(t)
		for _, m := range all {
			if m.To == "deputy@school.example" {
				return true
			}
		}
		return false
	})
	time.Sleep(6 * time.Second) // past the acknowledged alert's escalate_after
	all = mp.messages(t)
	deputy := 0
	for _, m := range all {
		if m.To == "deputy@school.example" {
			deputy++
			if !strings.Contains(m.Raw, fmt.Sprintf("/alerts/%d", a.ID)) {
				t.Errorf("the deputy was told of another alert:\n%s", m.Raw)
			}
		}
	}
	if deputy != 1 {
		t.Errorf("the deputy got %d e-mails, want 1 (the unacknowledged alert only)", deputy)
	}
	if out := in.cli(t, "", "audit", "list"); !strings.Contains(out, "alert.notify.sent") {
		t.Errorf("notifications are not in the audit trail")
	}
}
