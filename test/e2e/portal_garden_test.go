package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/dnsfilter/dnstest"
)

// TestPortalWalledGarden: the real binary and dig. An unidentified device
// in a portal group gets the portal's address for every name except the
// walled garden: the provider's issuer host, portal_allow and the names
// under it, and — once the sign-in page has discovered the provider, as
// it does when the device presses the provider's button — the
// authorisation and token endpoints' hosts, which then get their real
// answers (so the device can reach its provider); a look-alike name does
// not. The proxy lets a garden name through to the site and still answers
// the sign-in page for anything else.
func TestPortalWalledGarden(t *testing.T) {
	needTool(t, "dig", "bind9-dnsutils")
	o := proxyStartOrigins(t)
	up, err := dnstest.Start("127.0.0.1:0", 3600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)

	// The provider's discovery document, its issuer a name (localhost)
	// and its endpoints on names of their own, as a real provider's are.
	var issuer string
	disco := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": issuer, "authorization_endpoint": "http://login.idp.test/authorize",
			"token_endpoint": "http://token.idp.test/token", "jwks_uri": issuer + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	}))
	t.Cleanup(disco.Close)
	_, discoPort, _ := net.SplitHostPort(disco.Listener.Addr().String())
	issuer = "http://localhost:" + discoPort

	policy := strings.ReplaceAll(portalPolicy, "UPSTREAM", `"`+up.Addr()+`"`)
	policy = strings.Replace(policy, "  portal_session: 8s\n", `  portal_session: 1h
  oidc:
    - name: school
      issuer: `+issuer+`
      client_id: schoolgate
      client_secret_env: SG_E2E_OIDC_SECRET
portal_allow: [CDN.idp.test]
`, 1)
	policy = strings.Replace(policy, "hosts: {ok.test: 127.0.0.1,", "hosts: {fonts.cdn.idp.test: 127.0.0.1, ok.test: 127.0.0.1,", 1)
	in := proxyStartPolicy(t, policy, "SG_E2E_OIDC_SECRET=e2e-secret")
	waitFor(t, 10*time.Second, "the DNS listener", func() bool { return dnsListenRe.MatchString(in.logText()) })
	m := dnsListenRe.FindStringSubmatch(in.logText())
	dns := &dnsInstance{port: m[1][strings.LastIndexByte(m[1], ':')+1:]}

	answer := func(name string) string {
		t.Helper()
		rows := digAnswers(dns.dig(t, "127.0.0.5", "+noall", "+answer", name, "A"))
		if len(rows) != 1 || len(rows[0]) < 5 {
			t.Errorf("%s: no single answer: %v", name, rows)
			return ""
		}
		return rows[0][4]
	}
	check := func(when string, want map[string]bool) {
		t.Helper()
		for name, real := range want {
			got, wantAddr := answer(name), "127.0.0.1"
			if real {
				wantAddr = dnstest.AddrFor(name).String()
			}
			if got != wantAddr {
				t.Errorf("%s: %s answers %q, want %s (real answer: %v)", when, name, got, wantAddr, real)
			}
		}
	}
	check("before the provider's button", map[string]bool{
		"ok.test": false, "captive.apple.com": false,
		"localhost": true, "cdn.idp.test": true, "fonts.cdn.idp.test": true,
		"evilcdn.idp.test": false, "idp.test": false, "login.idp.test": false, "token.idp.test": false,
	})

	// The device presses the provider's button: the page discovers the
	// provider and sends the device to its authorisation endpoint.
	_, port, _ := strings.Cut(in.page, ":")
	out, err := exec.Command("curl", "-sS", "--max-time", "15", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
		"--interface", "127.0.0.5", "--resolve", "captive.apple.com:"+port+":127.0.0.1",
		"http://captive.apple.com:"+port+"/signin/oidc/school").Output()
	if err != nil {
		t.Fatalf("the provider's button: %v", err)
	}
	code, loc, _ := strings.Cut(string(out), " ")
	if u, err := url.Parse(loc); code != "303" || err != nil || u.Host != "login.idp.test" {
		t.Fatalf("the provider's button: %s to %q, want 303 to login.idp.test\n%s", code, loc, in.logText())
	}
	check("after discovery", map[string]bool{
		"login.idp.test": true, "token.idp.test": true, "localhost": true,
		"ok.test": false, "www.login.idp.test.evil": false, "idp.test": false,
	})

	// The proxy: a garden name reaches its site; any other name still gets
	// the sign-in page.
	if st, body, err := in.curl(t, "127.0.0.5", "http://fonts.cdn.idp.test:"+o.http+"/font.woff2"); err != nil || st != http.StatusOK || !strings.Contains(body, "origin says hello fonts.cdn.idp.test") {
		t.Errorf("a garden name through the proxy: %d %v\n%s", st, err, body)
	}
	if st, body, _ := in.curl(t, "127.0.0.5", "http://ok.test:"+o.http+"/hello"); st != http.StatusOK || !strings.Contains(body, `action="/signin"`) || strings.Contains(body, "origin says hello") {
		t.Errorf("another name through the proxy before sign-in: %d\n%s", st, body)
	}
}
