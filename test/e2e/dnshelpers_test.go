package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"schoolgate/internal/dnsfilter/dnstest"
)

// The DNS end-to-end tests run the real schoolgate binary, with a local
// upstream (dnstest, in this process) and dig as the client, from
// several loopback source addresses (127.0.0.2 a pupil, 127.0.0.3 staff).

var (
	dnsBuildOnce sync.Once
	dnsBinPath   string
	dnsBuildErr  error
)

// dnsBinary builds ./cmd/schoolgate once per test run. The binary goes to
// a fixed place in the temp directory, replaced by every run, since the
// package has no TestMain of its own to clean up after; the place is named
// after the checkout, so that two checkouts tested at once (worktrees) do
// not run each other's binary.
func dnsBinary(t *testing.T) string {
	t.Helper()
	dnsBuildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		sum := sha256.Sum256([]byte(filepath.Clean(root)))
		dir := filepath.Join(os.TempDir(), "schoolgate-e2e-dns-"+hex.EncodeToString(sum[:6]))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			dnsBuildErr = err
			return
		}
		dnsBinPath = filepath.Join(dir, "schoolgate")
		cmd := exec.Command("go", "build", "-o", dnsBinPath, "./cmd/schoolgate")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			dnsBuildErr = err
			dnsBinPath = string(out)
		}
	})
	if dnsBuildErr != nil {
		t.Fatalf("build: %v\n%s", dnsBuildErr, dnsBinPath)
	}
	return dnsBinPath
}

// dnsInstance is one running `schoolgate serve`.
type dnsInstance struct {
	serveProcess
	dir      string
	port     string // DNS port on 127.0.0.1
	admin    string // admin host:port
	up       *dnstest.Upstream
	started  time.Time
	ready    time.Duration // process start to first answered query
	policyAt string
}

// dnsPolicyBase is the policy the tests start from; UPSTREAM and LISTS
// are replaced.
const dnsPolicyBase = `
site: {name: E2E School, timezone: Europe/London}
categories:
  illegal:
    illegal: true
    sources: [{path: illegal.txt, format: domains}]
  gambling:
    sources: [{path: gambling.txt, format: domains}]
  games:
    sources: [{path: games.txt, format: domains}]
  shopping:
    sources: [{path: shopping.txt, format: domains}]
schedules:
  lunch:
    - {days: [mon, tue, wed, thu, fri], from: "12:15", to: "13:15"}
groups:
  pupils: {networks: [127.0.0.2/32], safesearch: strict}
  younger: {networks: [127.0.0.4/32], safesearch: moderate}
  staff: {networks: [127.0.0.3/32]}
default_group: staff
rules:
  illegal: {others: block}
  gambling: {pupils: block, younger: block, others: allow}
  games: {pupils: warn, others: allow}
  shopping: {pupils: allow during lunch, others: allow}
default: allow
exceptions:
  - {hosts: [bitesize.gambling.test], verdict: allow, groups: [pupils], reason: research, until: "2026-03-02T10:00:45Z"}
dns:
  listen: ["127.0.0.1:0"]
  upstreams: [UPSTREAM]
  timeout: 1s
admin:
  listen: 127.0.0.1:0
`

var dnsLists = map[string]string{
	"illegal.txt":  "illegal.test\n",
	"gambling.txt": "gambling.test\nbet.test\n",
	"games.txt":    "games.test\n",
	"shopping.txt": "shop.test\n",
}

var (
	dnsListenRe = regexp.MustCompile(`msg="dns listening" addr=(\S+)`)
	dnsAdminRe  = regexp.MustCompile(`msg="admin listening" addr=(\S+)`)
)

// dnsStart writes the policy (after edit) and its lists to a temp dir,
// starts a local upstream unless upstream is given, runs serve at the
// given fake time and waits until a query is answered.
func dnsStart(t *testing.T, now string, upstream string, edit func(string) string) *dnsInstance {
	t.Helper()
	needTool(t, "dig", "bind9-dnsutils")
	bin := dnsBinary(t)
	in := &dnsInstance{dir: t.TempDir(), serveProcess: newServeProcess()}
	if upstream == "" {
		up, err := dnstest.Start("127.0.0.1:0", 3600)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(up.Close)
		in.up, upstream = up, up.Addr()
	}
	for name, body := range dnsLists {
		dnsWrite(t, in.dir, name, body)
	}
	text := strings.ReplaceAll(dnsPolicyBase, "UPSTREAM", `"`+upstream+`"`)
	if edit != nil {
		text = edit(text)
	}
	in.policyAt = filepath.Join(in.dir, "policy.yaml")
	dnsWrite(t, in.dir, "policy.yaml", text)
	args := []string{"serve", "-c", in.policyAt, "--data", filepath.Join(in.dir, "data")}
	if now != "" {
		args = append(args, "--now", now)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "SCHOOLGATE_DATA="+filepath.Join(in.dir, "data"))
	in.started = time.Now()
	addrs := in.start(t, cmd, dnsListenRe, dnsAdminRe)
	dnsAddr, admin := addrs[0], addrs[1]
	in.port = dnsAddr[strings.LastIndexByte(dnsAddr, ':')+1:]
	in.admin = admin
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := in.digRun("127.0.0.3", "+time=1", "+tries=1", "ready.test")
		if strings.Contains(out, "status: ") { // any answer, SERVFAIL too
			in.ready = time.Since(in.started)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer from serve:\n%s", in.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return in
}

// digRun runs dig against the instance from source address from.
func (in *dnsInstance) digRun(from string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	all := append([]string{"@127.0.0.1", "-p", in.port, "-b", from}, args...)
	out, err := exec.CommandContext(ctx, "dig", all...).CombinedOutput()
	return string(out), err
}

// dig runs dig and fails the test if dig itself fails.
func (in *dnsInstance) dig(t *testing.T, from string, args ...string) string {
	t.Helper()
	out, err := in.digRun(from, append([]string{"+time=3", "+tries=1"}, args...)...)
	if err != nil {
		t.Fatalf("dig %v from %s: %v\n%s", args, from, err, out)
	}
	return out
}

func dnsWrite(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// digAnswers returns dig's answer section lines (+noall +answer output),
// each as fields: name ttl class type data.
func digAnswers(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(out, "\n") {
		if line == "" || strings.HasPrefix(line, ";") {
			continue
		}
		rows = append(rows, strings.Fields(line))
	}
	return rows
}
