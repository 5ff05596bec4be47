package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/dnsfilter/dnstest"
)

// privacyPolicy runs DNS, the proxy (with log-ins) and the block page
// together. Only 127.0.0.1 (the origins) is an exempt destination;
// loopy.test points at 127.0.0.9, which the destination guard refuses,
// and deadsite.test at a port where nothing listens.
const privacyPolicy = `
site: {name: Privacy School, timezone: Europe/London}
categories:
  illegal: {title: Illegal content, illegal: true, sources: [{path: illegal.txt, format: domains}]}
  gambling: {title: Gambling, sources: [{path: gambling.txt, format: domains}]}
groups:
  staff: {networks: [127.0.0.3/32]}
  pupils: {networks: [127.0.0.2/32, 127.0.0.1/32]}
default_group: pupils
rules:
  illegal: {others: block}
  gambling: {others: block}
default: allow
dns:
  listen: ["127.0.0.1:0"]
  upstreams: [UPSTREAM]
  timeout: 1s
admin: {listen: 127.0.0.1:0}
blockpage: {listen: 127.0.0.1:0}
proxy:
  listen: 127.0.0.1:0
  auth: basic
  upstream_timeout: 3s
  connect_ports: [443, HTTPSPORT]
  allow_destinations: [127.0.0.1/32]
  hosts: {lessons.test: 127.0.0.1, spinwin.test: 127.0.0.1, tunnelbet.test: 127.0.0.1, forbidden.test: 127.0.0.1, deadsite.test: 127.0.0.1, loopy.test: 127.0.0.9}
`

// TestSystemLogNamesNoOneAndNowhere runs the real binary through DNS and
// proxy traffic for several pupils and sites (allowed, blocked, illegal,
// a tunnel refused, a site down, a name that does not resolve, a
// destination on the machine itself, wrong passwords, a block-page form),
// at debug level, and then searches its whole log for every host and
// username used: the system log must name neither (README: references and
// rules only; who went where is in the activity log).
func TestSystemLogNamesNoOneAndNowhere(t *testing.T) {
	needTool(t, "curl", "curl")
	needTool(t, "dig", "bind9-dnsutils")
	o := proxyStartOrigins(t)
	up, err := dnstest.Start("127.0.0.1:0", 3600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := proxyPort("http://" + dead.Addr().String())
	dead.Close() // nothing listens there now

	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	dnsWrite(t, in.dir, "gambling.txt", "spinwin.test\ntunnelbet.test\n")
	dnsWrite(t, in.dir, "illegal.txt", "forbidden.test\n")
	y := strings.NewReplacer("UPSTREAM", `"`+up.Addr()+`"`, "HTTPSPORT", o.https).Replace(privacyPolicy)
	dnsWrite(t, in.dir, "policy.yaml", y)
	in.env = append(os.Environ(), "SCHOOLGATE_DATA="+in.data, "SSL_CERT_FILE="+o.caFile)
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data, "--log-level", "debug")
	cmd.Env = in.env
	addrs := in.start(t, cmd, proxyListenRe, proxyPageRe, dnsListenRe)
	in.proxy, in.page = addrs[0], addrs[1]
	dnsPort := addrs[2][strings.LastIndexByte(addrs[2], ':')+1:]
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(in.logText(), "schoolgate ready") {
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready:\n%s", in.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}

	users := map[string]string{"amelia": "Volcano-Lava-Magma-42", "bartholomew": "Glacier-Ice-Frost-77"}
	for u, pw := range users {
		in.cli(t, pw+"\n", "users", "add", u, "--groups", "pupils", "--password-stdin", "--by", "admin")
	}
	amelia := []string{"--proxy-user", "amelia:" + users["amelia"]}
	bart := []string{"--proxy-user", "bartholomew:" + users["bartholomew"]}
	httpSite := func(host string) string { return "http://" + host + ":" + o.http + "/lesson?q=volcanoes" }

	for _, tc := range []struct {
		from string
		args []string
		want int
	}{
		{"127.0.0.2", append(amelia, httpSite("lessons.test")), 200},
		{"127.0.0.2", append(amelia, httpSite("spinwin.test")), 403},
		{"127.0.0.2", append(amelia, httpSite("forbidden.test")), 403},
		{"127.0.0.2", append(amelia, "http://deadsite.test:"+deadPort+"/"), 502},
		{"127.0.0.2", append(amelia, httpSite("nowhere.test")), 0}, // 502 or 504: no such name
		{"127.0.0.2", append(amelia, httpSite("loopy.test")), 403},
		{"127.0.0.2", append(amelia, "https://tunnelbet.test:"+o.https+"/"), 0}, // CONNECT refused: curl fails
		{"127.0.0.2", append(amelia, "https://loopy.test:443/"), 0},
		{"127.0.0.2", append(bart, "--cacert", o.caFile, "https://lessons.test:"+o.https+"/"), 200},
		{"127.0.0.2", []string{"--proxy-user", "bartholomew:wrong-password", httpSite("lessons.test")}, 407},
		{"127.0.0.2", []string{"--proxy-user", "zebedee:nobody-has-this", httpSite("lessons.test")}, 407},
	} {
		code, _, _ := in.curl(t, tc.from, tc.args...)
		if tc.want != 0 && code != tc.want {
			t.Errorf("curl %v: %d, want %d", tc.args[len(tc.args)-1], code, tc.want)
		}
	}
	// An unblock request, from the block page's own form.
	if code, body, _ := in.curl(t, "127.0.0.2", append(bart, httpSite("spinwin.test"))...); code != 403 {
		t.Errorf("bart at spinwin: %d", code)
	} else {
		action, form := pageForm(t, body, "request")
		if code, _, _ := in.curl(t, "127.0.0.2", append(bart, curlForm(action, form, "reason", "homework on odds")...)...); code != 200 {
			t.Errorf("request form: %d, want 200", code)
		}
	}
	// DNS, from the address amelia logged in on (her session) and from
	// staff; then the block page listener for a name DNS blocked.
	for _, q := range []struct{ from, name string }{
		{"127.0.0.2", "spinwin.test"}, {"127.0.0.2", "lessons.test"}, {"127.0.0.2", "forbidden.test"},
		{"127.0.0.3", "tunnelbet.test"}, {"127.0.0.2", "nowhere.test"},
	} {
		ctx := exec.Command("dig", "@127.0.0.1", "-p", dnsPort, "-b", q.from, "+time=2", "+tries=1", q.name)
		if out, err := ctx.CombinedOutput(); err != nil || !strings.Contains(string(out), "status: ") {
			t.Errorf("dig %s: %v\n%s", q.name, err, out)
		}
	}
	code, body, _ := pageCurl(t, in.page, "spinwin.test", "/odds")
	if code != 403 || !strings.Contains(body, "SG-") {
		t.Errorf("block page listener: %d", code)
	}

	// Let the activity log catch up, then stop serve so everything it
	// would say on the way out is in the log too.
	time.Sleep(300 * time.Millisecond)
	in.stop()
	log := in.logText()
	// The log did record the refusals, by reference and rule.
	for _, want := range []string{`msg="proxy: destination refused"`, `msg="proxy: tunnel refused"`, `msg="proxy: site unreachable"`, `msg="proxy: log-in failed"`, `msg="proxy: blocked"`, "ref=SG-", "rule=destination:loopback"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	for _, secret := range []string{"lessons.test", "spinwin.test", "tunnelbet.test", "forbidden.test", "deadsite.test", "nowhere.test", "loopy.test", "/lesson", "volcanoes", "/odds",
		"amelia", "bartholomew", "zebedee", "homework", "127.0.0.9", deadPort} {
		if strings.Contains(log, secret) {
			for _, line := range strings.Split(log, "\n") {
				if strings.Contains(line, secret) {
					t.Errorf("the system log names %q: %s", secret, line)
				}
			}
		}
	}
	// And the activity log does know who went where.
	out := in.cli(t, "", "activity", "search", "--user", "amelia", "--format", "json", "--by", "dsl")
	for _, host := range []string{"lessons.test", "spinwin.test", "loopy.test"} {
		if !strings.Contains(out, host) {
			t.Errorf("activity log lacks amelia's visit to %s:\n%s", host, out)
		}
	}
}

// pageCurl asks the block-page listener for path on host, as a browser
// sent there by a blocked DNS answer would.
func pageCurl(t *testing.T, page, host, path string) (int, string, error) {
	t.Helper()
	cmd := exec.Command("curl", "-sS", "--max-time", "10", "-w", "\n%{http_code}", "--interface", "127.0.0.2", "-H", "Host: "+host, "http://"+page+path)
	out, err := cmd.Output()
	s := string(out)
	i := strings.LastIndexByte(s, '\n')
	var code int
	if i >= 0 {
		for _, c := range s[i+1:] {
			code = code*10 + int(c-'0')
		}
		s = s[:i]
	}
	return code, s, err
}
