package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/dnsfilter/dnstest"
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
