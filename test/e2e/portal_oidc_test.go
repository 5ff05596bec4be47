package e2e

import (
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"schoolgate/internal/dnsfilter/dnstest"
)

// TestPortalOIDCSignIn: the real binary, a real OpenID provider on
// loopback, dig and curl (a cookie jar, following redirects, as a
// browser would). The sign-in page of a portal device shows the
// provider's button; a provider account not in the directory, a disabled
// one and a forged callback are refused and the device stays at the portal; amy's account maps the device's
// address to amy, so DNS then gives a pupil's answers (gambling blocked,
// other names their own address), and the sign-in is in the activity log.
func TestPortalOIDCSignIn(t *testing.T) {
	needTool(t, "dig", "bind9-dnsutils")
	op, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { op.Shutdown() })
	cfg := op.Config()
	up, err := dnstest.Start("127.0.0.1:0", 3600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	policy := strings.ReplaceAll(portalPolicy, "UPSTREAM", `"`+up.Addr()+`"`)
	policy = strings.Replace(policy, "  portal_session: 8s\n", `  portal_session: 1h
  oidc:
    - name: school
      title: Sign in with School ID
      issuer: `+cfg.Issuer+`
      client_id: `+cfg.ClientID+`
      client_secret_env: SG_E2E_OIDC_SECRET
`, 1)
	in := proxyStartPolicy(t, policy, "SG_E2E_OIDC_SECRET="+cfg.ClientSecret)
	// The resolver may say it listens just after serve says it is ready.
	waitFor(t, 10*time.Second, "the DNS listener", func() bool { return dnsListenRe.MatchString(in.logText()) })
	m := dnsListenRe.FindStringSubmatch(in.logText())
	dns := &dnsInstance{port: m[1][strings.LastIndexByte(m[1], ':')+1:]}
	in.cli(t, "", "users", "add", "amy", "--name", "Amy Pupil", "--role", "pupil", "--groups", "pupils", "--by", "admin")

	okAddr := dnstest.AddrFor("ok.test").String()
	answer := func(name string) string {
		t.Helper()
		rows := digAnswers(dns.dig(t, "127.0.0.5", "+noall", "+answer", name, "A"))
		if len(rows) != 1 || len(rows[0]) < 5 {
			return ""
		}
		return rows[0][4]
	}

	_, port, _ := strings.Cut(in.page, ":")
	jar := filepath.Join(t.TempDir(), "cookies")
	page := func(args ...string) (int, string) {
		t.Helper()
		all := append([]string{"-sS", "-L", "--max-time", "15", "-w", "\n%{http_code}", "--interface", "127.0.0.5",
			"-b", jar, "-c", jar, "--resolve", "captive.apple.com:" + port + ":127.0.0.1"}, args...)
		out, err := exec.Command("curl", all...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v", args, err)
		}
		s := string(out)
		i := strings.LastIndexByte(s, '\n')
		var code int
		fmt.Sscanf(s[i+1:], "%d", &code)
		return code, s[:i]
	}
	portalURL := "http://captive.apple.com:" + port
	if st, body := page(portalURL + "/hotspot-detect.html"); st != http.StatusOK || !strings.Contains(body, `href="/signin/oidc/school"`) || !strings.Contains(body, "Sign in with School ID") {
		t.Fatalf("no provider button on the sign-in page: %d\n%s", st, body)
	}
	if answer("ok.test") != "127.0.0.1" {
		t.Fatal("the device is not at the portal before sign-in")
	}

	// Not in the directory (and no auto_create_role): refused.
	op.QueueUser(&oidcAccount{sub: "entra-2", claims: map[string]any{"preferred_username": "stranger", "email": "stranger@school.example", "email_verified": true}})
	if st, body := page(portalURL + "/signin/oidc/school"); st != http.StatusForbidden || !strings.Contains(body, "not in the school&#39;s directory") {
		t.Errorf("a stranger's sign-in: %d\n%s", st, body)
	}
	if answer("ok.test") != "127.0.0.1" {
		t.Fatal("a refused provider sign-in let the device through")
	}
	// A disabled account: refused.
	in.cli(t, "", "users", "add", "ben.p", "--name", "Ben Pupil", "--role", "pupil", "--groups", "pupils", "--by", "admin")
	in.cli(t, "", "users", "disable", "ben.p", "--by", "admin")
	op.QueueUser(&oidcAccount{sub: "entra-3", claims: map[string]any{"preferred_username": "ben.p"}})
	if st, body := page(portalURL + "/signin/oidc/school"); st != http.StatusForbidden || !strings.Contains(body, "disabled") {
		t.Errorf("a disabled account's sign-in: %d\n%s", st, body)
	}
	if answer("ok.test") != "127.0.0.1" {
		t.Fatal("a disabled account's sign-in let the device through")
	}
	// A callback without the flow's cookie is refused.
	if st, body := page(portalURL + "/signin/oidc/school/callback?state=forged&code=x"); st != http.StatusForbidden || !strings.Contains(body, "could not be matched") {
		t.Errorf("a forged callback: %d\n%s", st, body)
	}

	// amy, through the provider: the device is hers.
	op.QueueUser(&oidcAccount{sub: "entra-1", claims: map[string]any{"preferred_username": "amy", "email": "amy@school.example", "email_verified": true}})
	st, body := page(portalURL + "/signin/oidc/school")
	if st != http.StatusOK || !strings.Contains(body, `id="user">amy<`) {
		t.Fatalf("provider sign-in: %d\n%s", st, body)
	}
	if a := answer("ok.test"); a != okAddr {
		t.Errorf("ok.test after sign-in: %q, want %s (amy's answer)", a, okAddr)
	}
	if out := dns.dig(t, "127.0.0.5", "bet.test", "A"); !strings.Contains(out, "status: NXDOMAIN") {
		t.Errorf("bet.test after sign-in: want a pupil's block (NXDOMAIN)\n%s", out)
	}
	waitFor(t, 10*time.Second, "the provider sign-in in the activity log", func() bool {
		out, _, _ := in.cliRun("", "activity", "search", "--user", "amy", "--format", "json")
		return strings.Contains(out, `"action":"portal-signin"`)
	})
	// The system log keeps neither the pupil's name nor the stranger's.
	if logs := in.logText(); strings.Contains(logs, "amy") || strings.Contains(logs, "stranger") || strings.Contains(logs, "ben.p") {
		t.Errorf("a child's name in the system log:\n%s", logs)
	}
}
