package e2e

import (
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/ca"
	"schoolgate/internal/dnsfilter/dnstest"
)

// portalPolicy: 127.0.0.5 and .6 are shared devices in a portal group;
// gambling is blocked for pupils (nxdomain in DNS: the portal answers the
// block page's address whatever block_response says).
const portalPolicy = `
site: {name: E2E Portal School, timezone: Europe/London}
categories:
  gambling: {title: Gambling, sources: [{path: gambling.txt, format: domains}]}
groups:
  staff: {networks: [127.0.0.3/32]}
  pupils: {networks: [127.0.0.2/32]}
  devices: {networks: [127.0.0.5/32, 127.0.0.6/32], portal: true}
default_group: staff
rules:
  gambling: {pupils: block, others: allow}
default: allow
identity:
  portal_session: 8s
dns:
  listen: ["127.0.0.1:0"]
  upstreams: [UPSTREAM]
  timeout: 1s
  block_response: nxdomain
  blockpage_ipv4: 127.0.0.1
admin: {listen: 127.0.0.1:0}
blockpage: {listen: 127.0.0.1:0}
proxy:
  listen: 127.0.0.1:0
  allow_destinations: [127.0.0.0/8]
  hosts: {ok.test: 127.0.0.1, bet.test: 127.0.0.1}
`

// TestPortalSignIn: the real binary, dig and curl. An unidentified device
// in a portal group gets the block page's address for every name (the OS
// connectivity checks too), TTL 0, and the sign-in page from the proxy
// (200) and from the block page; after a pupil signs in on the page (a
// POST to /signin with a cookie jar, as a browser would), the same
// address gets the pupil's answers in DNS and the proxy; at the end of
// identity.portal_session it is back at the portal, and a sign-out ends
// it at once. The sign-in is in the activity log, the pupil's name is not
// in the system log.
func TestPortalSignIn(t *testing.T) {
	needTool(t, "dig", "bind9-dnsutils")
	o := proxyStartOrigins(t)
	up, err := dnstest.Start("127.0.0.1:0", 3600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	in := proxyStartPolicy(t, strings.ReplaceAll(portalPolicy, "UPSTREAM", `"`+up.Addr()+`"`))
	// The resolver may say it listens just after serve says it is ready.
	waitFor(t, 10*time.Second, "the DNS listener", func() bool { return dnsListenRe.MatchString(in.logText()) })
	m := dnsListenRe.FindStringSubmatch(in.logText())
	dns := &dnsInstance{port: m[1][strings.LastIndexByte(m[1], ':')+1:]}
	const pass = "Volcano-Lava-Magma-42"
	in.cli(t, pass+"\n", "users", "add", "amy", "--name", "Amy Pupil", "--role", "pupil", "--groups", "pupils", "--password-stdin", "--by", "admin")

	okAddr := dnstest.AddrFor("ok.test").String()
	answer := func(from, name string) (addr, ttl string) {
		t.Helper()
		rows := digAnswers(dns.dig(t, from, "+noall", "+answer", name, "A"))
		if len(rows) != 1 || len(rows[0]) < 5 {
			return "", ""
		}
		return rows[0][4], rows[0][1]
	}
	atPortal := func(from string) bool {
		a, _ := answer(from, "ok.test")
		return a == "127.0.0.1"
	}

	// Unidentified: the portal, whatever the name; a device elsewhere is
	// not affected.
	for _, name := range []string{"ok.test", "bet.test", "captive.apple.com", "connectivitycheck.gstatic.com", "www.msftconnecttest.com", "detectportal.firefox.com"} {
		if a, ttl := answer("127.0.0.5", name); a != "127.0.0.1" || ttl != "0" {
			t.Errorf("%s before sign-in: %q ttl %q, want 127.0.0.1 ttl 0", name, a, ttl)
		}
	}
	if rows := digAnswers(dns.dig(t, "127.0.0.5", "+noall", "+answer", "ok.test", "AAAA")); len(rows) != 1 || rows[0][4] != "::1" || rows[0][1] != "0" {
		t.Errorf("AAAA before sign-in: %v, want blockpage_ipv6 (::1) ttl 0", rows)
	}
	if out := dns.dig(t, "127.0.0.5", "ok.test", "HTTPS"); !strings.Contains(out, "status: NOERROR") || !strings.Contains(out, "ANSWER: 0,") {
		t.Errorf("HTTPS record before sign-in: want an empty answer\n%s", out)
	}
	if a, _ := answer("127.0.0.3", "ok.test"); a != okAddr {
		t.Errorf("a staff network's answer: %q, want %s", a, okAddr)
	}
	site := "http://ok.test:" + o.http + "/hello"
	st, body, err := in.curl(t, "127.0.0.5", site)
	if err != nil || st != http.StatusOK || !strings.Contains(body, `action="/signin"`) || !strings.Contains(body, "E2E Portal School") || strings.Contains(body, "origin says hello") {
		t.Fatalf("the proxy before sign-in: %d %v\n%s", st, err, body)
	}

	// The block page, reached by the name the device asked for (as the
	// DNS answer sends it): the page, then the sign-in.
	_, port, _ := strings.Cut(in.page, ":")
	jar := filepath.Join(t.TempDir(), "cookies")
	page := func(args ...string) (int, string) {
		t.Helper()
		all := append([]string{"-sS", "--max-time", "15", "-w", "\n%{http_code}", "--interface", "127.0.0.5",
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
	if st, body := page(portalURL + "/hotspot-detect.html"); st != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("the block page before sign-in: %d\n%s", st, body)
	}
	// Another site's form is refused; a wrong password is not a sign-in.
	if st, body := page("-H", "Origin: http://evil.test", "-H", "Sec-Fetch-Site: cross-site", "--data-urlencode", "username=amy", "--data-urlencode", "password="+pass, portalURL+"/signin"); st != http.StatusForbidden {
		t.Errorf("cross-site sign-in: %d\n%s", st, body)
	}
	if st, body := page("--data-urlencode", "username=amy", "--data-urlencode", "password=wrong", portalURL+"/signin"); st != http.StatusUnauthorized || !strings.Contains(body, "Wrong username or password") {
		t.Errorf("wrong password: %d\n%s", st, body)
	}
	if !atPortal("127.0.0.5") {
		t.Fatal("a refused sign-in let the device through")
	}
	st, body = page("-H", "Origin: "+portalURL, "--data-urlencode", "username=amy", "--data-urlencode", "password="+pass, portalURL+"/signin")
	if st != http.StatusOK || !strings.Contains(body, `id="user">amy<`) {
		t.Fatalf("sign-in: %d\n%s", st, body)
	}
	signedIn := time.Now()

	// The pupil's answers now, in DNS and the proxy; the other portal
	// device still at the portal.
	if a, _ := answer("127.0.0.5", "ok.test"); a != okAddr {
		t.Errorf("ok.test after sign-in: %q, want %s", a, okAddr)
	}
	if out := dns.dig(t, "127.0.0.5", "bet.test", "A"); !strings.Contains(out, "status: NXDOMAIN") {
		t.Errorf("bet.test for the pupil: want NXDOMAIN (block_response)\n%s", out)
	}
	if !atPortal("127.0.0.6") {
		t.Error("another portal device was let through")
	}
	if st, body, err := in.curl(t, "127.0.0.5", site); err != nil || st != http.StatusOK || !strings.Contains(body, "origin says hello") {
		t.Errorf("the proxy after sign-in: %d %v\n%s", st, err, body)
	}
	if st, body, _ := in.curl(t, "127.0.0.5", "http://bet.test:"+o.http+"/"); st != http.StatusForbidden || !strings.Contains(body, "Gambling") {
		t.Errorf("a blocked site for the pupil through the proxy: %d\n%s", st, body)
	}

	// Expiry: back at the portal once identity.portal_session has run.
	waitFor(t, 20*time.Second, "the portal session's end", func() bool { return atPortal("127.0.0.5") })
	if took := time.Since(signedIn); took < 7*time.Second {
		t.Errorf("the session ended after %s, before portal_session (8s)", took)
	}
	if st, body, _ := in.curl(t, "127.0.0.5", site); st != http.StatusOK || !strings.Contains(body, `action="/signin"`) {
		t.Errorf("the proxy after expiry: %d\n%s", st, body)
	}

	// Sign in again, then out: the portal at once.
	if st, body := page("--data-urlencode", "username=amy", "--data-urlencode", "password="+pass, portalURL+"/signin"); st != http.StatusOK {
		t.Fatalf("sign-in again: %d\n%s", st, body)
	}
	if atPortal("127.0.0.5") {
		t.Fatal("not signed in again")
	}
	if st, body := page("-X", "POST", portalURL+"/signout"); st != http.StatusOK || !strings.Contains(body, "Signed out") {
		t.Errorf("sign-out: %d\n%s", st, body)
	}
	if !atPortal("127.0.0.5") {
		t.Error("still signed in after signing out")
	}

	waitFor(t, 10*time.Second, "the portal sign-ins in the activity log", func() bool {
		out, _, _ := in.cliRun("", "activity", "search", "--user", "amy", "--format", "json")
		return len(regexp.MustCompile(`"action":"portal-signin"`).FindAllString(out, -1)) == 2
	})
	if strings.Contains(in.logText(), "amy") {
		t.Error("the pupil's username is in the system log")
	}
}

// TestPortalTLS: with blockpage.tls (the school CA), the plain-HTTP
// sign-in page links to the HTTPS one and takes no password; over HTTPS,
// with a certificate the school CA minted for the name the device asked
// for, the sign-in works and the device gets its person's answers.
func TestPortalTLS(t *testing.T) {
	needTool(t, "dig", "bind9-dnsutils")
	up, err := dnstest.Start("127.0.0.1:0", 3600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	policy := strings.ReplaceAll(portalPolicy, "UPSTREAM", `"`+up.Addr()+`"`)
	policy = strings.Replace(policy, "blockpage: {listen: 127.0.0.1:0}", "blockpage: {listen: 127.0.0.1:0, tls: {listen: 127.0.0.1:0}}", 1)
	in := proxyStartPolicy(t, policy)
	waitFor(t, 10*time.Second, "the DNS listener", func() bool { return dnsListenRe.MatchString(in.logText()) })
	m := dnsListenRe.FindStringSubmatch(in.logText())
	tm := regexp.MustCompile(`msg="block page listening \(HTTPS\)" addr=\S+:(\d+)`).FindStringSubmatch(in.logText())
	if m == nil || tm == nil {
		t.Fatalf("no dns or HTTPS block page listener:\n%s", in.logText())
	}
	dns := &dnsInstance{port: m[1][strings.LastIndexByte(m[1], ':')+1:]}
	const pass = "Volcano-Lava-Magma-42"
	in.cli(t, pass+"\n", "users", "add", "amy", "--name", "Amy Pupil", "--role", "pupil", "--groups", "pupils", "--password-stdin", "--by", "admin")
	_, port, _ := strings.Cut(in.page, ":")
	tlsPort := tm[1]
	caFile := filepath.Join(ca.Dir(in.data), ca.CertFile)
	page := func(args ...string) (int, string) {
		t.Helper()
		all := append([]string{"-sS", "--max-time", "15", "-w", "\n%{http_code}", "--interface", "127.0.0.5", "--cacert", caFile,
			"--resolve", "captive.apple.com:" + port + ":127.0.0.1", "--resolve", "captive.apple.com:" + tlsPort + ":127.0.0.1"}, args...)
		out, err := exec.Command("curl", all...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		s := string(out)
		i := strings.LastIndexByte(s, '\n')
		var code int
		fmt.Sscanf(s[i+1:], "%d", &code)
		return code, s[:i]
	}
	secure := "https://captive.apple.com:" + tlsPort + "/"
	if st, body := page("http://captive.apple.com:" + port + "/hotspot-detect.html"); st != http.StatusOK || !strings.Contains(body, `href="`+secure+`"`) || strings.Contains(body, `name="password"`) {
		t.Fatalf("the plain-HTTP page: %d\n%s", st, body)
	}
	if st, body := page("--data-urlencode", "username=amy", "--data-urlencode", "password="+pass, "http://captive.apple.com:"+port+"/signin"); st != http.StatusForbidden {
		t.Errorf("a password over plain HTTP: %d\n%s", st, body)
	}
	if a := digAnswers(dns.dig(t, "127.0.0.5", "+noall", "+answer", "ok.test", "A")); len(a) != 1 || a[0][4] != "127.0.0.1" {
		t.Fatalf("a refused plain-HTTP sign-in let the device through: %v", a)
	}
	if st, body := page(secure); st != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("the HTTPS page: %d\n%s", st, body)
	}
	if st, body := page("--data-urlencode", "username=amy", "--data-urlencode", "password="+pass, secure+"signin"); st != http.StatusOK || !strings.Contains(body, `id="user">amy<`) {
		t.Fatalf("sign-in over HTTPS: %d\n%s", st, body)
	}
	if a := digAnswers(dns.dig(t, "127.0.0.5", "+noall", "+answer", "ok.test", "A")); len(a) != 1 || a[0][4] != dnstest.AddrFor("ok.test").String() {
		t.Errorf("after signing in over HTTPS: %v", a)
	}
}
