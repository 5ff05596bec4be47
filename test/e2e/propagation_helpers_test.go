package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/dnsfilter/dnstest"
	"schoolgate/internal/identity"
)

// Two nodes of one school: two serve processes on their own loopback
// addresses sharing one PostgreSQL database (each with its own data
// directory and a copy of the policy), as a trust runs them.

// nodePolicy is the school's policy; IP and UPSTREAM are replaced. Pupils
// are 127.0.0.20 and .21; social media needs permission for them.
const nodePolicy = `
site: {name: E2E Trust School, timezone: Europe/London}
categories:
  illegal: {title: Illegal content, illegal: true, sources: [{path: illegal.txt, format: domains}]}
  social: {title: Social media, sources: [{path: social.txt, format: domains}]}
groups:
  staff: {networks: [127.0.0.3/32]}
  pupils: {networks: [127.0.0.20/32, 127.0.0.21/32]}
default_group: pupils
rules:
  illegal: {others: block}
  social: {pupils: permission, others: allow}
default: allow
dns: {listen: ["IP:0"], upstreams: ["UPSTREAM"], timeout: 1s}
admin: {listen: "IP:0"}
blockpage: {listen: "IP:0"}
console: {listen: "IP:0", tls: off}
proxy:
  listen: "IP:0"
  auth: basic
  realm: E2E Trust School
  allow_destinations: [127.0.0.0/8]
  hosts: {ok.test: 127.0.0.1, social.test: 127.0.0.1}
`

var nodeLists = map[string]string{
	"illegal.txt": "bad.test\n",
	"social.txt":  "social.test\nchat.test\n",
}

// node is one running serve of the school.
type node struct {
	*proxyInstance
	ip      string
	dns     string // host:port
	console string // base URL
}

// startNode runs serve on ip against the PostgreSQL database dsn; a
// second node gets the first's at-rest key (first), as a trust copies it.
func startNode(t *testing.T, ip, dsn string, up *dnstest.Upstream, first *node) *node {
	t.Helper()
	needTool(t, "dig", "bind9-dnsutils")
	needTool(t, "curl", "curl")
	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	for name, body := range nodeLists {
		dnsWrite(t, in.dir, name, body)
	}
	policy := strings.ReplaceAll(strings.ReplaceAll(nodePolicy, "UPSTREAM", up.Addr()), "IP", ip)
	dnsWrite(t, in.dir, "policy.yaml", policy)
	if first != nil {
		key, err := os.ReadFile(filepath.Join(first.data, "secrets.key"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(in.data, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(in.data, "secrets.key"), key, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	in.env = append(os.Environ(), "SCHOOLGATE_DATA="+in.data, "SCHOOLGATE_POSTGRES="+dsn)
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data)
	cmd.Env = in.env
	cmd.Stdout = &lockedBuffer{}
	addrs := in.start(t, cmd, dnsListenRe, proxyListenRe, consoleListenRe)
	n := &node{proxyInstance: in, ip: ip, dns: addrs[0], console: addrs[2]}
	in.proxy = addrs[1]
	waitFor(t, 30*time.Second, "serve ready on "+ip, func() bool { return strings.Contains(in.logText(), "schoolgate ready") })
	return n
}

// answer is the first A record node's DNS gives host asked from from.
func (n *node) answer(t *testing.T, from, host string) string {
	t.Helper()
	host0, port, _ := strings.Cut(n.dns, ":")
	out, err := exec.Command("dig", "@"+host0, "-p", port, "-b", from, "+time=2", "+tries=1", "+short", host, "A").CombinedOutput()
	if err != nil {
		t.Fatalf("dig %s from %s at %s: %v\n%s", host, from, n.ip, err, out)
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}

// grant grants host to the pupils through node's API with token, and
// fails the test unless it is made (201).
func (n *node) grant(t testing.TB, c *http.Client, token, host string) {
	t.Helper()
	body := fmt.Sprintf(`{"to":"group:pupils","target":%q,"for":"45m","reason":"a lesson"}`, host)
	req, _ := http.NewRequest("POST", n.console+"/api/v1/grants", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		t.Fatalf("grant %s through %s: %d %s", host, n.ip, resp.StatusCode, b.String())
	}
}

// apiStatus is the status node's API answers GET path with token.
func (n *node) apiStatus(t *testing.T, token, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", n.console+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// tokenID is the id of the only token `tokens list --json` shows for user.
func (n *node) tokenID(t *testing.T, user string) int64 {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(n.cli(t, "", "tokens", "list", "--json")), "\n") {
		var tok struct {
			ID   int64  `json:"id"`
			User string `json:"user"`
		}
		if json.Unmarshal([]byte(line), &tok) == nil && tok.User == user {
			return tok.ID
		}
	}
	t.Fatalf("no token of %s", user)
	return 0
}

// consoleSession signs user in to node's console with a password and
// enrols a TOTP code, and returns a form poster: do(method, path, form)
// gives the status, the Location and the body, sending the page's CSRF
// token with every form.
func (n *node) consoleSession(t *testing.T, user, pass string) func(method, path string, form url.Values) (int, string, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrfRE := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	var csrf string
	do := func(method, path string, form url.Values) (int, string, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			if csrf != "" {
				form.Set("csrf", csrf)
			}
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, n.console+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if m := csrfRE.FindSubmatch(b); m != nil {
			csrf = string(m[1])
		}
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	if st, loc, body := do("POST", "/login", url.Values{"username": {user}, "password": {pass}}); st != http.StatusSeeOther {
		t.Fatalf("sign in to %s: %d %s %s", n.ip, st, loc, body)
	}
	_, _, body := do("GET", "/totp/enrol", nil)
	m := regexp.MustCompile(`id="secret">([A-Z2-7 ]+)<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the enrolment page:\n%s", body)
	}
	code, err := identity.TOTPCodeAt(strings.ReplaceAll(m[1], " ", ""), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st, _, body := do("POST", "/totp/enrol", url.Values{"code": {code}}); st != http.StatusOK {
		t.Fatalf("enrol: %d %s", st, body)
	}
	return do
}
