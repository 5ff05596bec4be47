package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/dnsfilter/dnstest"
	"schoolgate/internal/store/storetest"
)

// The policy-versions end-to-end test: one PostgreSQL, three real serve
// nodes for two schools on their own loopback addresses, the policy
// pushed with the real CLI.

const trustPolicy = `site: {name: E2E Trust, timezone: Europe/London}
categories:
  video:
    sources: [{path: lists/video.txt, format: domains}]
  gambling:
    sources: [{path: lists/gambling.txt, format: domains}]
groups:
  pupils: {networks: [127.0.0.1/32]}
rules:
  video: {pupils: block, others: allow}
  gambling: {others: block}
default: allow
dns:
  blockpage_ipv4: 127.0.0.99
  timeout: 1s
`

// blockAddr is the trust's dns.blockpage_ipv4: the answer for a blocked name.
const blockAddr = "127.0.0.99"

// policyNode is one `serve --site --node` process.
type policyNode struct {
	serveProcess
	name, site, ip, dir, nodeFile string
	dns, admin                    string
}

// policyPush runs `schoolgate policy push` and fails the test if it fails.
func policyCLI(t *testing.T, dsn string, args ...string) string {
	t.Helper()
	cmd := exec.Command(dnsBinary(t), args...)
	cmd.Env = append(os.Environ(), "SCHOOLGATE_POSTGRES="+dsn)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("schoolgate %v: %v\n%s%s", args, err, out, stderr)
	}
	return string(out)
}

func startPolicyNode(t *testing.T, n *policyNode, dsn string) {
	t.Helper()
	n.serveProcess = newServeProcess()
	cmd := exec.Command(dnsBinary(t), "serve", "--site", n.site, "--node", n.nodeFile, "--data", filepath.Join(n.dir, "data"))
	cmd.Env = append(os.Environ(), "SCHOOLGATE_POSTGRES="+dsn)
	addrs := n.start(t, cmd, dnsListenRe, dnsAdminRe)
	n.dns, n.admin = addrs[0], addrs[1]
}

// answer is the first A record the node gives name (from the pupils'
// address), or dig's status when there is none.
func (n *policyNode) answer(t *testing.T, name string) string {
	t.Helper()
	host, port, _ := strings.Cut(n.dns, ":")
	out, err := exec.Command("dig", "@"+host, "-p", port, "-b", "127.0.0.1", "+time=1", "+tries=1", "+noall", "+answer", "+comments", name, "A").CombinedOutput()
	if err != nil {
		return "dig failed: " + string(out)
	}
	for _, row := range digAnswers(string(out)) {
		if len(row) >= 5 && row[3] == "A" {
			return row[4]
		}
	}
	return strings.TrimSpace(string(out))
}

// waitAnswer polls the node until name answers want, and returns how long
// that took from since.
func (n *policyNode) waitAnswer(t *testing.T, name, want string, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	for {
		got := n.answer(t, name)
		if got == want {
			return time.Since(since)
		}
		if time.Since(since) > limit {
			t.Fatalf("%s: %s answers %q after %s, want %q\n%s", n.name, name, got, limit, want, n.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPolicyVersionsThreeNodes(t *testing.T) {
	needTool(t, "dig", "bind9-dnsutils")
	dsn := storetest.PostgresDSN(t)
	up, err := dnstest.Start("127.0.0.1:0", 3600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	allowed := dnstest.AddrFor("new.test").String()

	trustDir := t.TempDir()
	dnsWrite(t, trustDir, "trust.yaml", trustPolicy)
	os.MkdirAll(filepath.Join(trustDir, "lists"), 0o755)
	dnsWrite(t, trustDir, "lists/video.txt", "video.test\n")
	dnsWrite(t, trustDir, "lists/gambling.txt", "bet.test\n")
	trustFile := filepath.Join(trustDir, "trust.yaml")
	if out := policyCLI(t, dsn, "policy", "push", "-c", trustFile, "--note", "first"); !strings.Contains(out, "pushed version 1 (trust): 2 lists") {
		t.Fatalf("push: %q", out)
	}

	nodes := []*policyNode{
		{name: "a1", site: "school-a", ip: "127.0.0.11"},
		{name: "a2", site: "school-a", ip: "127.0.0.12"},
		{name: "b1", site: "school-b", ip: "127.0.0.21"},
	}
	for _, n := range nodes {
		n.dir = t.TempDir()
		ip := n.ip
		dnsWrite(t, n.dir, "node.yaml", fmt.Sprintf(`dns:
  listen: ["%s:0"]
  upstreams: ["%s"]
proxy: {listen: "%s:0"}
blockpage: {listen: "%s:0"}
console: {listen: "%s:0"}
admin: {listen: "%s:0"}
`, ip, up.Addr(), ip, ip, ip, ip))
		n.nodeFile = filepath.Join(n.dir, "node.yaml")
		if n != nodes[0] {
			// Every node of the trust shares the at-rest key the first made.
			key, err := os.ReadFile(filepath.Join(nodes[0].dir, "data", "secrets.key"))
			if err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(filepath.Join(n.dir, "data"), 0o750)
			if err := os.WriteFile(filepath.Join(n.dir, "data", "secrets.key"), key, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		startPolicyNode(t, n, dsn)
		if !strings.HasPrefix(n.dns, ip+":") {
			t.Fatalf("%s listens on %s, want %s", n.name, n.dns, ip)
		}
	}
	for _, n := range nodes {
		if got := n.answer(t, "video.test"); got != blockAddr {
			t.Fatalf("%s: video.test = %q, want the block address %s", n.name, got, blockAddr)
		}
		if got := n.answer(t, "new.test"); got != allowed {
			t.Fatalf("%s: new.test = %q, want the upstream's %s", n.name, got, allowed)
		}
		if v, ok := metricValue(fetchMetrics(t, n.admin), `schoolgate_policy_version{kind="trust"}`); !ok || v != 1 {
			t.Fatalf("%s runs trust version %v, want 1", n.name, v)
		}
	}

	// A trust change pushed once reaches every node within 2 seconds.
	dnsWrite(t, trustDir, "lists/video.txt", "video.test\nnew.test\n")
	out := policyCLI(t, dsn, "policy", "push", "-c", trustFile, "--note", "new.test is video")
	pushed := time.Now()
	if !strings.Contains(out, "pushed version 2") {
		t.Fatalf("push: %q", out)
	}
	for _, n := range nodes {
		took := n.waitAnswer(t, "new.test", blockAddr, pushed, 2*time.Second)
		t.Logf("%s (%s) blocks new.test %s after the push", n.name, n.site, took.Round(time.Millisecond))
	}
	diff := policyCLI(t, dsn, "policy", "diff", "1", "2")
	if !strings.Contains(diff, "the policy files are the same") || !strings.Contains(diff, "list lists/video.txt: changed") {
		t.Fatalf("diff 1 2:\n%s", diff)
	}

	// A node restarted with PostgreSQL unreachable (a closed port) starts
	// from its local copy, says so, and filters as before.
	a2 := nodes[1]
	a2.stop()
	closed := "postgres://nobody:nothing@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"
	startPolicyNode(t, a2, closed)
	if !strings.Contains(a2.logText(), "DATABASE UNREACHABLE") {
		t.Fatalf("a2 started without the database and did not say so:\n%s", a2.logText())
	}
	for name, want := range map[string]string{"new.test": blockAddr, "video.test": blockAddr, "bet.test": blockAddr, "other.test": dnstest.AddrFor("other.test").String()} {
		if got := a2.answer(t, name); got != want {
			t.Errorf("a2 offline: %s = %q, want %q", name, got, want)
		}
	}

	// A rollback is a new version: every connected node follows it.
	out = policyCLI(t, dsn, "policy", "rollback", "1", "--note", "undo")
	rolled := time.Now()
	if !strings.Contains(out, "version 3 (trust) is a copy of version 1") {
		t.Fatalf("rollback: %q", out)
	}
	for _, n := range []*policyNode{nodes[0], nodes[2]} {
		n.waitAnswer(t, "new.test", allowed, rolled, 2*time.Second)
	}
	hist := policyCLI(t, dsn, "policy", "history")
	for _, want := range []string{"3        trust", "undo", "new.test is video", "first"} {
		if !strings.Contains(hist, want) {
			t.Errorf("history lacks %q:\n%s", want, hist)
		}
	}
}

// TestPolicyVersionsSchool: a school's stricter cell, pushed for one
// school only, changes that school's nodes and not the other's.
func TestPolicyVersionsSchool(t *testing.T) {
	needTool(t, "dig", "bind9-dnsutils")
	dsn := storetest.PostgresDSN(t)
	up, err := dnstest.Start("127.0.0.1:0", 3600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "lists"), 0o755)
	dnsWrite(t, dir, "trust.yaml", trustPolicy)
	dnsWrite(t, dir, "lists/video.txt", "video.test\n")
	dnsWrite(t, dir, "lists/gambling.txt", "bet.test\n")
	policyCLI(t, dsn, "policy", "push", "-c", filepath.Join(dir, "trust.yaml"))
	// School A blocks video for everyone, the trust only for pupils.
	dnsWrite(t, dir, "school-a.yaml", "extends: trust.yaml\nrules:\n  video: {pupils: block, others: block}\n")
	cmd := exec.Command(dnsBinary(t), "policy", "push", "-c", filepath.Join(dir, "school-a.yaml"), "--site", "school-a")
	cmd.Env = append(os.Environ(), "SCHOOLGATE_POSTGRES="+dsn)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("push school-a: %v\n%s", err, out)
	}
	var nodes []*policyNode
	for _, n := range []*policyNode{{name: "a1", site: "school-a", ip: "127.0.0.31"}, {name: "b1", site: "school-b", ip: "127.0.0.41"}} {
		n.dir = t.TempDir()
		dnsWrite(t, n.dir, "node.yaml", fmt.Sprintf("dns:\n  listen: [\"%s:0\"]\n  upstreams: [\"%s\"]\nproxy: {listen: \"%s:0\"}\nblockpage: {listen: \"%s:0\"}\nconsole: {listen: \"%s:0\"}\nadmin: {listen: \"%s:0\"}\n",
			n.ip, up.Addr(), n.ip, n.ip, n.ip, n.ip))
		n.nodeFile = filepath.Join(n.dir, "node.yaml")
		if len(nodes) > 0 {
			key, _ := os.ReadFile(filepath.Join(nodes[0].dir, "data", "secrets.key"))
			os.MkdirAll(filepath.Join(n.dir, "data"), 0o750)
			os.WriteFile(filepath.Join(n.dir, "data", "secrets.key"), key, 0o600)
		}
		startPolicyNode(t, n, dsn)
		nodes = append(nodes, n)
	}
	// Staff (127.0.0.3 is not a pupil): blocked at school A only.
	for _, c := range []struct {
		n    *policyNode
		want string
	}{{nodes[0], blockAddr}, {nodes[1], dnstest.AddrFor("video.test").String()}} {
		host, port, _ := strings.Cut(c.n.dns, ":")
		out, _ := exec.Command("dig", "@"+host, "-p", port, "-b", "127.0.0.3", "+time=1", "+tries=1", "+short", "video.test", "A").CombinedOutput()
		if got := strings.TrimSpace(string(out)); got != c.want {
			t.Errorf("%s: staff's video.test = %q, want %q", c.n.name, got, c.want)
		}
	}
}
