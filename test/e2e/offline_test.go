package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"schoolgate/internal/dnsfilter/dnstest"
	"schoolgate/internal/store"
	"schoolgate/internal/store/storetest"
)

// TestOfflineNode cuts a node off from its PostgreSQL (a TCP relay on
// loopback, closed and opened again; the shared server is never stopped)
// for 30 s under DNS and proxy load: every query and request is answered
// as before (a staff member's log-in, verified before, keeps their group's
// verdict; a pupils' grant stays in force), /metrics and /healthz say
// degraded, and the node recovers. Then the node is restarted while the
// database is unreachable: it starts from its local copy and filters the
// same (the grant), refuses a log-in it never verified, and comes back
// whole when the database returns. An alert fired while cut off is
// raised once the database answers. Each node's heartbeat appears in
// `schoolgate nodes`, and the stopped one goes stale after a minute.
func TestOfflineNode(t *testing.T) {
	needTool(t, "curl", "curl")
	dsn := storetest.PostgresDSN(t)
	pg, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	relay := startPGRelay(t, pg.Host)
	up, err := dnstest.Start("127.0.0.1:0", 3600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	origins := proxyStartOrigins(t)

	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	for name, body := range proxyLists {
		dnsWrite(t, dir, name, body)
	}
	policy := strings.Replace(proxyPolicyBase, "dns: {listen: []}",
		fmt.Sprintf("dns: {listen: [\"127.0.0.1:0\"], upstreams: [%q], timeout: 1s}", up.Addr()), 1) +
		"  auth: basic\n  realm: E2E School\n  allow_destinations: [127.0.0.0/8]\n" +
		"console: {listen: 127.0.0.1:0, tls: off}\n"
	dnsWrite(t, dir, "policy.yaml", policy)
	env := append(os.Environ(), "SCHOOLGATE_DATA="+data, "SCHOOLGATE_POSTGRES="+relay.dsn(t, dsn))

	in := offlineServe(t, dir, data, "gate-1", env)
	const password = "Volcano-Lava-Magma-42"
	in.cli(t, password+"\n", "users", "add", "quinby", "--groups", "staff", "--password-stdin", "--by", "admin")
	in.cli(t, "", "users", "add", "mrsmith", "--role", "teacher", "--by", "admin")
	in.cli(t, "", "users", "add", "dsl1", "--role", "dsl", "--by", "admin")
	in.cli(t, "", "grant", "--to", "pupils", "--target", "game.test", "--for", "2h", "--by", "mrsmith", "--reason", "offline test")

	dnsA := func(in *offlineNode, name string) (string, error) {
		c := &dns.Client{Timeout: 2 * time.Second}
		m := new(dns.Msg)
		m.SetQuestion(name+".", dns.TypeA)
		r, _, err := c.Exchange(m, in.dns)
		if err != nil {
			return "", err
		}
		for _, rr := range r.Answer {
			if a, ok := rr.(*dns.A); ok {
				return a.A.String(), nil
			}
		}
		return dns.RcodeToString[r.Rcode], nil
	}
	granted := dnstest.AddrFor("game.test").String()
	waitFor(t, 5*time.Second, "the pupils' grant in force over DNS", func() bool {
		a, _ := dnsA(in, "game.test")
		return a == granted
	})
	blocked, err := dnsA(in, "bet.test")
	if err != nil || blocked == dnstest.AddrFor("bet.test").String() {
		t.Fatalf("bet.test before the outage: %q %v, want blocked", blocked, err)
	}
	copyPath := filepath.Join(data, "local-copy.json")
	waitFor(t, 15*time.Second, "the local copy with ana and the grant", func() bool {
		b, err := os.ReadFile(copyPath)
		return err == nil && strings.Contains(string(b), `"u":"quinby"`) && strings.Contains(string(b), "game.test")
	})
	if fi, err := os.Stat(copyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("local copy: %v %v, want mode 0600", fi.Mode(), err)
	}
	node := func(in *offlineNode, name string) (store.NodeHealth, bool) {
		out := in.cli(t, "", "nodes", "--json")
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var n store.NodeHealth
			if json.Unmarshal([]byte(l), &n) == nil && n.Name == name {
				return n, true
			}
		}
		return store.NodeHealth{}, false
	}
	waitFor(t, 15*time.Second, "gate-1's heartbeat", func() bool { _, ok := node(in, "gate-1"); return ok })
	if n, _ := node(in, "gate-1"); n.Stale || n.Site != "school" || len(n.PolicyHash) != 64 || n.ListsAge < 0 {
		t.Errorf("gate-1's heartbeat: %+v", n)
	}
	social := "http://social.test:" + origins.http + "/"
	asAna := func(in *offlineNode) (int, string, error) {
		pu, _ := url.Parse("http://quinby:" + password + "@" + in.proxy)
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(pu), DisableKeepAlives: true}}
		resp, err := c.Get(social)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	if code, body, err := asAna(in); err != nil || code != 200 || !strings.Contains(body, "origin says hello") {
		t.Fatalf("ana (staff) on social.test before the outage: %d %v %.80q", code, err, body)
	}

	// Load: DNS from the pupils' address and ana's proxy requests, each
	// checked against the answer it had before the outage.
	var ok, failed, proxied atomic.Int64
	var firstFail atomic.Value
	fail := func(s string) {
		failed.Add(1)
		firstFail.CompareAndSwap(nil, s)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	loop := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				f()
			}
		}()
	}
	loop(func() {
		for name, want := range map[string]string{"game.test": granted, "bet.test": blocked} {
			if a, err := dnsA(in, name); err != nil || a != want {
				fail(fmt.Sprintf("dns %s: %q %v, want %s", name, a, err, want))
				continue
			}
			ok.Add(1)
		}
	})
	loop(func() {
		if code, body, err := asAna(in); err != nil || code != 200 || !strings.Contains(body, "origin says hello") {
			fail(fmt.Sprintf("proxy as ana: %d %v %.80q", code, err, body))
			return
		}
		ok.Add(1)
		proxied.Add(1)
	})
	degraded := func(in *offlineNode) float64 {
		v, found := metricValue(fetchMetrics(t, in.admin), `schoolgate_degraded{reason="database"}`)
		if !found {
			t.Fatal("schoolgate_degraded{reason=\"database\"} missing from /metrics")
		}
		return v
	}
	if v := degraded(in); v != 0 {
		t.Fatalf("degraded before the outage: %v", v)
	}
	time.Sleep(2 * time.Second)
	relay.close()
	cut := time.Now()
	waitFor(t, 10*time.Second, "degraded in /metrics", func() bool { return degraded(in) == 1 })
	if body := healthz(t, in.admin); !strings.Contains(body, "degraded: database") {
		t.Errorf("/healthz while cut off: %q", body)
	}
	// The console says so on the pages it can still show, and answers
	// 503 for what needs the database.
	if code, body := httpGet(t, in.console+"/login"); code != 200 || !strings.Contains(body, "Degraded: the database has not answered") {
		t.Errorf("the console's sign-in page while cut off: %d\n%.400s", code, body)
	}
	if code, body := httpGet(t, in.console+"/api/v1/me", "Authorization", "Bearer sg_nosuchtoken"); code != http.StatusServiceUnavailable ||
		!strings.Contains(body, "database is not answering") {
		t.Errorf("the API while cut off: %d %s", code, body)
	}
	// An alert that fires while cut off (the built-in rule for illegal
	// categories) is kept, and raised once the database answers.
	if a, err := dnsA(in, "bad.test"); err != nil || a == dnstest.AddrFor("bad.test").String() {
		t.Errorf("bad.test while cut off: %q %v, want blocked", a, err)
	}
	time.Sleep(30*time.Second - time.Since(cut))
	relay.open(t)
	waitFor(t, 15*time.Second, "recovered in /metrics", func() bool { return degraded(in) == 0 })
	waitFor(t, 30*time.Second, "the alert raised while cut off stored once the database answers", func() bool {
		return strings.Contains(in.cli(t, "", "alerts", "list", "--by", "dsl1", "--json"), "illegal-content")
	})
	close(stop)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d answers failed or changed during the outage; first: %v", n, n+ok.Load(), firstFail.Load())
	}
	if ok.Load() < 100 {
		t.Errorf("only %d answers under load", ok.Load())
	}
	t.Logf("outage of 30 s under load: %d answers, %d failed", ok.Load(), failed.Load())

	// Every proxy request of the load (and the one before it) is in the
	// activity log once: those made while cut off were spooled and
	// written when the database came back, none twice.
	want := int(proxied.Load()) + 1
	stored := func() int {
		out := in.cli(t, "", "activity", "search", "--user", "quinby", "--point", "proxy", "--limit", "-1", "--format", "json", "--by", "dsl1")
		return strings.Count(out, `"host":"social.test"`)
	}
	waitFor(t, 20*time.Second, fmt.Sprintf("the %d proxy requests stored once", want), func() bool { return stored() >= want })
	time.Sleep(2 * time.Second)
	if got := stored(); got != want {
		t.Errorf("%d proxy requests stored, want %d (each once)", got, want)
	}
	t.Logf("%d proxy requests made, %d stored, across the outage", want, stored())
	if !strings.Contains(in.logText(), "DEGRADED: the database is unreachable") || !strings.Contains(in.logText(), "database reachable again") {
		t.Errorf("the change of state is not logged:\n%s", in.logText())
	}

	// Restarted while the database is unreachable: from the local copy.
	relay.close()
	in.stop()
	in2 := offlineServe(t, dir, data, "gate-2", env)
	waitFor(t, 5*time.Second, "the local copy loaded", func() bool {
		return strings.Contains(in2.logText(), "filtering from the local copy")
	})
	if v := degraded(in2); v != 1 {
		t.Errorf("degraded after a start without the database: %v", v)
	}
	if a, err := dnsA(in2, "game.test"); err != nil || a != granted {
		t.Errorf("the pupils' grant after a restart from the local copy: %q %v, want %s", a, err, granted)
	}
	if a, err := dnsA(in2, "bet.test"); err != nil || a != blocked {
		t.Errorf("bet.test after a restart from the local copy: %q %v, want %s", a, err, blocked)
	}
	if code, _, err := asAna(in2); err != nil || code != http.StatusProxyAuthRequired {
		t.Errorf("a log-in this node never verified, database unreachable: %d %v, want 407", code, err)
	}
	relay.open(t)
	waitFor(t, 15*time.Second, "recovered after the restart", func() bool { return degraded(in2) == 0 })
	if code, body, err := asAna(in2); err != nil || code != 200 || !strings.Contains(body, "origin says hello") {
		t.Errorf("ana once the database is back: %d %v %.80q", code, err, body)
	}
	waitFor(t, 15*time.Second, "gate-2's heartbeat once the database is back", func() bool { n, ok := node(in2, "gate-2"); return ok && !n.Stale })
	waitFor(t, 75*time.Second, "gate-1 stale, a minute after its last heartbeat", func() bool { n, ok := node(in2, "gate-1"); return ok && n.Stale })
	if out := in2.cli(t, "", "nodes", "--site", "school"); !strings.Contains(out, "gate-1") || !strings.Contains(out, "stale") {
		t.Errorf("schoolgate nodes --site school:\n%s", out)
	}
	for _, l := range []string{in.logText(), in2.logText()} {
		if strings.Contains(l, "quinby") {
			t.Errorf("a person's name in the system log")
		}
	}
}

// offlineNode is a running serve with DNS and the proxy.
type offlineNode struct {
	*proxyInstance
	dns, console string
}

func offlineServe(t *testing.T, dir, data, name string, env []string) *offlineNode {
	t.Helper()
	in := &proxyInstance{bin: dnsBinary(t), dir: dir, data: data, env: env, serveProcess: newServeProcess()}
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(dir, "policy.yaml"), "--data", data, "--node-name", name)
	cmd.Env = env
	addrs := in.start(t, cmd, proxyListenRe, proxyPageRe, dnsListenRe, proxyAdminRe, consoleListenRe)
	in.proxy, in.page, in.admin = addrs[0], addrs[1], addrs[3]
	waitFor(t, 30*time.Second, "serve ready", func() bool { return strings.Contains(in.logText(), "schoolgate ready") })
	return &offlineNode{proxyInstance: in, dns: addrs[2], console: addrs[4]}
}

func healthz(t *testing.T, admin string) string {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

func httpGet(t *testing.T, u string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
