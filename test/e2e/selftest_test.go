package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/dnsfilter/dnstest"
	"schoolgate/internal/probe"
	"schoolgate/internal/store"
)

// The self-test end-to-end tests run the real binary with DNS and the
// proxy on fixed loopback ports (the self-test reads them from the
// policy), a local upstream, and `schoolgate selftest` as a second
// process of the same binary, data and policy.

const selftestPolicy = `
site: {name: Selftest School, timezone: UTC}
categories:
  illegal: {title: Illegal content, illegal: true, sources: [{path: illegal.txt, format: domains}]}
  gambling: {title: Gambling, sources: [{path: gambling.txt, format: domains}]}
  games: {title: On-line games, sources: [{path: games.txt, format: domains}]}
groups:
  staff: {networks: [127.0.0.3/32]}
  pupils: {networks: [127.0.0.2/32, 192.0.2.0/24]}
  sixth: {users: [probe.sixth]}
default_group: pupils
rules:
  illegal: {others: block}
  gambling: {staff: allow, others: block}
  games: {pupils: warn, others: allow}
default: allow
dns:
  listen: ["DNSADDR"]
  upstreams: ["UPSTREAM"]
  allow_networks: [127.0.0.0/8, 192.0.2.0/24]
  timeout: 1s
proxy:
  listen: PROXYADDR
admin: {listen: 127.0.0.1:0}
blockpage: {listen: 127.0.0.1:0}
selftest:
  schedule: SCHEDULE
  probes:
    gambling: [bet.test]
    games: [game.test]
    illegal: [probe.illegal.invalid]
  users: {sixth: probe.sixth}
`

var selftestLists = map[string]string{
	"illegal.txt":  "probe.illegal.invalid\n",
	"gambling.txt": "bet.test\n",
	"games.txt":    "game.test\n",
}

// selftestNode is one running serve for the self-test.
type selftestNode struct {
	serveProcess
	bin, dir, data, policy string
	dnsPort                string
}

// freePort is a port free on 127.0.0.1 for UDP and TCP.
func freePort(t *testing.T) string {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		pc.Close()
		if err == nil {
			ln.Close()
			return fmt.Sprint(port)
		}
	}
	t.Fatal("no free port")
	return ""
}

// startSelftestNode writes the policy (after edit) and lists (after
// lists) and runs serve at the given fake time ("" now).
func startSelftestNode(t *testing.T, now, schedule string, edit func(policy string, lists map[string]string) string) *selftestNode {
	t.Helper()
	needTool(t, "dig", "bind9-dnsutils")
	up, err := dnstest.Start("127.0.0.1:0", 3600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	n := &selftestNode{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	n.data = filepath.Join(n.dir, "data")
	n.dnsPort = freePort(t)
	lists := map[string]string{}
	for k, v := range selftestLists {
		lists[k] = v
	}
	text := strings.NewReplacer("DNSADDR", "0.0.0.0:"+n.dnsPort, "UPSTREAM", up.Addr(), "PROXYADDR", "0.0.0.0:"+freePort(t), "SCHEDULE", schedule).Replace(selftestPolicy)
	if edit != nil {
		text = edit(text, lists)
	}
	for name, body := range lists {
		dnsWrite(t, n.dir, name, body)
	}
	n.policy = filepath.Join(n.dir, "policy.yaml")
	dnsWrite(t, n.dir, "policy.yaml", text)
	args := []string{"serve", "-c", n.policy, "--data", n.data}
	if now != "" {
		args = append(args, "--now", now)
	}
	cmd := exec.Command(n.bin, args...)
	cmd.Env = append(os.Environ(), "SCHOOLGATE_DATA="+n.data)
	n.start(t, cmd, dnsListenRe)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(n.logText(), "schoolgate ready") {
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready:\n%s", n.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

// selftest runs `schoolgate selftest` with args; it returns stdout and
// stderr and the exit code.
func (n *selftestNode) selftest(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, n.bin, append([]string{"selftest", "-c", n.policy, "--data", n.data}, args...)...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// store opens the node's database (beside the running serve).
func (n *selftestNode) store(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(n.data, "schoolgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestSelftestPasses: with a correct policy every probe of every group
// passes through the real DNS listener and proxy (blocked, warned and
// allowed as the policy says, the users-only group as its test user),
// the run is recorded as a measured check, and nothing is a finding.
func TestSelftestPasses(t *testing.T) {
	n := startSelftestNode(t, "", `"off"`, nil)
	t0 := time.Now()
	out, code := n.selftest(t)
	t.Logf("selftest took %v", time.Since(t0))
	if code != 0 {
		t.Fatalf("selftest exit %d:\n%s\n%s", code, out, n.logText())
	}
	for _, want := range []string{"group staff", "group pupils", "group sixth", "recorded as check 1 (pass)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAIL") {
		t.Errorf("a probe failed:\n%s", out)
	}
	// 3 groups × 3 names × 2 paths; the verdicts the policy gives.
	for _, row := range [][]string{
		{"ok", "dns", "gambling", "bet.test", "blocked", "blocked"},
		{"ok", "proxy", "games", "game.test", "warn", "warn"},
		{"ok", "proxy", "illegal", "probe.illegal.invalid", "block", "block"},
	} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(row, " ")) {
			t.Errorf("no row %v:\n%s", row, out)
		}
	}
	staffGambling := 0
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 6 && f[2] == "gambling" && f[4] == "allowed" || len(f) == 6 && f[2] == "gambling" && f[4] == "allow" {
			staffGambling++
		}
	}
	if staffGambling != 2 {
		t.Errorf("staff's gambling probes (allowed on both paths): %d\n%s", staffGambling, out)
	}
	st := n.store(t)
	checks, err := st.ListChecks(context.Background(), store.CheckFilter{Site: "school"})
	if err != nil || len(checks) != 1 || !checks[0].Measured || checks[0].Result != store.CheckPass || checks[0].By != "schoolgate-selftest" {
		t.Fatalf("recorded %+v %v", checks, err)
	}
	if f, _ := st.CountOpenFindings(context.Background(), "school"); f != 0 {
		t.Errorf("findings after a pass: %d", f)
	}
	// Probes are nobody's activity: the activity log has the pupil's
	// own look-up of a probe name, not the probes' eighteen.
	if out, err := exec.Command("dig", "@127.0.0.1", "-p", n.dnsPort, "-b", "127.0.0.2", "+time=3", "+tries=1", "bet.test").CombinedOutput(); err != nil {
		t.Fatalf("dig: %v\n%s", err, out)
	}
	waitFor(t, 15*time.Second, "the pupil's look-up in the activity log", func() bool {
		return len(activityFor(t, st, "bet.test")) > 0
	})
	if evs := activityFor(t, st, "bet.test"); len(evs) != 1 || evs[0].Client.String() != "127.0.0.2" {
		t.Errorf("activity for bet.test: %+v", evs)
	}
	for _, host := range []string{"game.test", "probe.illegal.invalid"} {
		if evs := activityFor(t, st, host); len(evs) != 0 {
			t.Errorf("probes in the activity log: %+v", evs)
		}
	}
	if strings.Contains(n.logText(), "bet.test") {
		t.Errorf("a probe name in the system log:\n%s", n.logText())
	}
}

// activityFor is the activity log's events for host.
func activityFor(t *testing.T, st *store.Store, host string) []activity.Event {
	t.Helper()
	var out []activity.Event
	if err := st.SearchActivity(context.Background(), store.Actor{Name: "e2e"}, store.ActivityFilter{Host: host}, func(e activity.Event) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSelftestBrokenList: an emptied category list makes its probes
// mismatch (the policy's table says blocked; the list no longer says
// gambling): the daily run under serve raises a finding on its own.
func TestSelftestBrokenList(t *testing.T) {
	// Start 3 s before the daily run.
	n := startSelftestNode(t, "2026-12-02T06:59:57Z", `"daily 07:00"`, func(p string, lists map[string]string) string {
		lists["gambling.txt"] = "\n"
		return p
	})
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(n.logText(), "SELF-TEST FAILED") {
		if time.Now().After(deadline) {
			t.Fatalf("the scheduled self-test did not fail:\n%s", n.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
	st := n.store(t)
	fs, err := st.ListFindings(context.Background(), store.FindingFilter{Site: "school", OpenOnly: true})
	if err != nil || len(fs) == 0 || !strings.Contains(fs[0].What, "do not contain bet.test") {
		t.Fatalf("findings %+v %v", fs, err)
	}
}

// TestSelftestProxyDown: a proxy that is not listening is a finding.
func TestSelftestProxyDown(t *testing.T) {
	n := startSelftestNode(t, "", `"off"`, nil)
	out, code := n.selftest(t, "--group", "staff", "--proxy", "127.0.0.1:"+freePort(t))
	if code != 1 || !strings.Contains(out, "no-answer") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	fs, err := n.store(t).ListFindings(context.Background(), store.FindingFilter{Site: "school", OpenOnly: true})
	if err != nil || len(fs) != 3 || !strings.Contains(fs[0].What, "through the proxy") {
		t.Fatalf("findings %+v %v", fs, err)
	}
}

// TestSelftestProbeFailsSafe: a probe standing for staff (gambling
// allowed) is honoured only from loopback with a valid MAC: a forged or
// missing MAC, or a valid token from a non-loopback address, is placed
// as its address is (pupils: gambling blocked), on DNS and the proxy.
func TestSelftestProbeFailsSafe(t *testing.T) {
	n := startSelftestNode(t, "", `"off"`, nil)
	key, err := n.store(t).Secret(context.Background(), probe.SecretName, probe.SecretSize)
	if err != nil {
		t.Fatal(err)
	}
	good, err := probe.Sign(key, "staff", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := probe.Sign([]byte("not the node's key, but as long."), "staff", "", time.Now())
	noMAC := good[:strings.LastIndexByte(good, '|')]
	dig := func(server, from, token string) string {
		t.Helper()
		args := []string{"@" + server, "-p", n.dnsPort, "-b", from, "+time=3", "+tries=1", "bet.test", "A"}
		if token != "" {
			args = append(args, fmt.Sprintf("+ednsopt=%d:%s", probe.OptionCode, hex.EncodeToString([]byte(token))))
		}
		out, err := exec.Command("dig", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("dig: %v\n%s", err, out)
		}
		return string(out)
	}
	filtered := func(out string) bool { return strings.Contains(out, "EDE: 17 (Filtered)") }
	if out := dig("127.0.0.1", "127.0.0.1", good); filtered(out) {
		t.Fatalf("a valid staff probe from loopback was filtered:\n%s", out)
	}
	for name, tok := range map[string]string{"forged MAC": forged, "missing MAC": noMAC, "no probe": ""} {
		if out := dig("127.0.0.1", "127.0.0.1", tok); !filtered(out) {
			t.Errorf("DNS, %s: not placed as pupils:\n%s", name, out)
		}
	}
	if lan := nonLoopback(); lan.IsValid() {
		if out := dig(lan.String(), lan.String(), good); !filtered(out) {
			t.Errorf("DNS: a valid probe from %s was honoured:\n%s", lan, out)
		}
	} else {
		t.Log("no non-loopback IPv4 address here: that case is covered by the probe package's tests only")
	}
	m := proxyListenRe.FindStringSubmatch(n.logText())
	if m == nil {
		t.Fatalf("no proxy address:\n%s", n.logText())
	}
	_, proxyPort, _ := net.SplitHostPort(m[1])
	curlFrom := func(from, token string) string {
		t.Helper()
		args := []string{"-s", "-o", "/dev/null", "-D", "-", "-x", "http://" + net.JoinHostPort(from, proxyPort), "--interface", from, "http://bet.test/"}
		if token != "" {
			args = append(args, "-H", probe.Header+": "+token)
		}
		out, _ := exec.Command("curl", args...).CombinedOutput()
		return string(out)
	}
	curl := func(token string) string { t.Helper(); return curlFrom("127.0.0.1", token) }
	if out := curl(good); !strings.Contains(out, " 200") || !strings.Contains(out, probe.VerdictHeader+": allow") {
		t.Fatalf("proxy, a valid staff probe:\n%s", out)
	}
	for name, tok := range map[string]string{"forged MAC": forged, "missing MAC": noMAC} {
		out := curl(tok)
		if !strings.Contains(out, " 403") || strings.Contains(out, probe.VerdictHeader) {
			t.Errorf("proxy, %s: not placed as pupils:\n%s", name, out)
		}
	}
	if lan := nonLoopback(); lan.IsValid() {
		fresh, _ := probe.Sign(key, "staff", "", time.Now())
		if out := curlFrom(lan.String(), fresh); !strings.Contains(out, " 403") || strings.Contains(out, probe.VerdictHeader) {
			t.Errorf("proxy: a valid probe from %s was honoured:\n%s", lan, out)
		}
	}
}

// nonLoopback is a non-loopback IPv4 address of this machine in
// 192.0.2.0/24 (the policy's allow_networks), if any.
func nonLoopback() netip.Addr {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() && !p.Addr().IsLoopback() && netip.MustParsePrefix("192.0.2.0/24").Contains(p.Addr()) {
			return p.Addr()
		}
	}
	return netip.Addr{}
}
