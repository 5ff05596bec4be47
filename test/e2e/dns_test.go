package e2e

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"schoolgate/internal/dnsfilter/dnstest"
)

// monday10 is Monday 2 March 2026, 10:00 in London (GMT): outside lunch.
const monday10 = "2026-03-02T10:00:00Z"

func TestDNSPerGroup(t *testing.T) {
	in := dnsStart(t, monday10, "", nil)
	t.Logf("ready %v after process start", in.ready)

	// Allowed: staff get the upstream's address and its TTL untouched... but
	// the illegal category makes every group filtered: TTLs ≤ 60 s.
	out := in.dig(t, "127.0.0.3", "+noall", "+answer", "www.bet.test")
	rows := digAnswers(out)
	if len(rows) != 1 || rows[0][4] != dnstest.AddrFor("www.bet.test").String() {
		t.Fatalf("staff www.bet.test: %q", out)
	}
	if ttl, _ := strconv.Atoi(rows[0][1]); ttl > 60 || ttl < 1 {
		t.Errorf("staff TTL %d, want 1..60", ttl)
	}

	// Blocked for pupils: the block page address, EDE 17 Filtered.
	out = in.dig(t, "127.0.0.2", "www.bet.test")
	if !strings.Contains(out, "status: NOERROR") || !strings.Contains(out, "\t127.0.0.1\n") || !strings.Contains(out, "EDE: 17 (Filtered)") {
		t.Errorf("pupil www.bet.test:\n%s", out)
	}
	out = in.dig(t, "127.0.0.2", "AAAA", "bet.test")
	if !strings.Contains(out, "\t::1\n") {
		t.Errorf("pupil bet.test AAAA:\n%s", out)
	}
	// Warn resolves to the block page too.
	if out = in.dig(t, "127.0.0.2", "+short", "games.test"); strings.TrimSpace(out) != "127.0.0.1" {
		t.Errorf("pupil games.test (warn): %q", out)
	}

	// An allowed name that is an alias of a blocked one (CNAME cloaking).
	out = in.dig(t, "127.0.0.2", "www--bet--test.cname.test")
	if !strings.Contains(out, "status: NXDOMAIN") || !strings.Contains(out, "EDE: 17 (Filtered)") {
		t.Errorf("pupil, alias of www.bet.test:\n%s", out)
	}
	if out = in.dig(t, "127.0.0.3", "+short", "www--bet--test.cname.test"); !strings.Contains(out, "www.bet.test.\n"+dnstest.AddrFor("www.bet.test").String()) {
		t.Errorf("staff, alias of www.bet.test: %q", out)
	}

	// Illegal: NXDOMAIN for everyone, EDE 15 Blocked, never the entry.
	for _, from := range []string{"127.0.0.2", "127.0.0.3"} {
		out = in.dig(t, from, "x.illegal.test")
		if !strings.Contains(out, "status: NXDOMAIN") || !strings.Contains(out, "EDE: 15 (Blocked)") {
			t.Errorf("illegal from %s:\n%s", from, out)
		}
	}

	// The exception allows one gambling host for pupils until 10:00:45,
	// and the answer's TTL stops at that moment.
	rows = digAnswers(in.dig(t, "127.0.0.2", "+noall", "+answer", "bitesize.gambling.test"))
	if len(rows) != 1 || rows[0][4] != dnstest.AddrFor("bitesize.gambling.test").String() {
		t.Fatalf("exception: %v", rows)
	}
	if ttl, _ := strconv.Atoi(rows[0][1]); ttl > 45 || ttl < 30 {
		t.Errorf("exception TTL %d, want ≤ 45 (it ends at 10:00:45)", ttl)
	}

	// SafeSearch.
	for _, c := range []struct{ from, name, target string }{
		{"127.0.0.2", "www.google.com", "forcesafesearch.google.com."},
		{"127.0.0.2", "www.google.fr", "forcesafesearch.google.com."},
		{"127.0.0.2", "www.youtube.com", "restrict.youtube.com."},
		{"127.0.0.4", "m.youtube.com", "restrictmoderate.youtube.com."},
		{"127.0.0.2", "www.bing.com", "strict.bing.com."},
		{"127.0.0.2", "duckduckgo.com", "safe.duckduckgo.com."},
	} {
		out := in.dig(t, c.from, "+short", c.name)
		want := c.target + "\n" + dnstest.AddrFor(c.target).String()
		if strings.TrimSpace(out) != want {
			t.Errorf("%s from %s: %q, want %q", c.name, c.from, out, want)
		}
	}
	if out = in.dig(t, "127.0.0.3", "+short", "www.google.com"); strings.TrimSpace(out) != dnstest.AddrFor("www.google.com").String() {
		t.Errorf("staff got SafeSearch: %q", out)
	}

	// Circumvention: the Firefox canary and Private Relay.
	for _, name := range []string{"use-application-dns.net", "mask.icloud.com", "mask-h2.icloud.com"} {
		if out = in.dig(t, "127.0.0.2", name); !strings.Contains(out, "status: NXDOMAIN") {
			t.Errorf("%s:\n%s", name, out)
		}
	}

	// ECH configs are stripped from HTTPS records.
	out = in.dig(t, "127.0.0.3", "+short", "TYPE65", "ech.test")
	if out == "" || strings.Contains(out, "ech=") {
		t.Errorf("HTTPS record: %q", out)
	}

	// TCP, and truncation over UDP.
	if out = in.dig(t, "127.0.0.2", "+tcp", "+short", "bet.test"); strings.TrimSpace(out) != "127.0.0.1" {
		t.Errorf("TCP block: %q", out)
	}
	out = in.dig(t, "127.0.0.3", "+noedns", "+ignore", "TXT", "big.test")
	if !strings.Contains(out, " tc ") && !strings.Contains(out, " tc;") {
		t.Errorf("big TXT over 512-byte UDP not truncated:\n%s", out)
	}
	if out = in.dig(t, "127.0.0.3", "+short", "TXT", "big.test"); strings.Count(out, "\n") != 40 {
		t.Errorf("dig's TCP retry got %d records", strings.Count(out, "\n"))
	}
}

func TestDNSScheduleWindows(t *testing.T) {
	for _, c := range []struct {
		now     string
		blocked bool
		maxTTL  int
	}{
		{"2026-03-02T12:14:50Z", true, 10},  // ten seconds before lunch
		{"2026-03-02T12:30:00Z", false, 60}, // lunch: allowed, filtered cap
		{"2026-03-02T13:14:40Z", false, 20}, // lunch ends in twenty seconds
		{"2026-03-07T12:30:00Z", true, 60},  // Saturday: no lunch window
		{"2026-06-01T11:30:00Z", false, 60}, // BST: 12:30 in London
	} {
		in := dnsStart(t, c.now, "", nil)
		rows := digAnswers(in.dig(t, "127.0.0.2", "+noall", "+answer", "shop.test"))
		if len(rows) != 1 {
			t.Fatalf("%s: %v", c.now, rows)
		}
		if got := rows[0][4] == "127.0.0.1"; got != c.blocked {
			t.Errorf("%s: blocked=%v, want %v", c.now, got, c.blocked)
		}
		if ttl, _ := strconv.Atoi(rows[0][1]); ttl > c.maxTTL {
			t.Errorf("%s: TTL %d, want ≤ %d", c.now, ttl, c.maxTTL)
		}
	}
}

func TestDNSBlockResponses(t *testing.T) {
	for _, mode := range []string{"nxdomain", "null"} {
		in := dnsStart(t, monday10, "", func(s string) string {
			return strings.Replace(s, "  timeout: 1s\n", "  timeout: 1s\n  block_response: "+mode+"\n", 1)
		})
		out := in.dig(t, "127.0.0.2", "bet.test")
		if !strings.Contains(out, "EDE: 17 (Filtered)") {
			t.Errorf("%s: no EDE:\n%s", mode, out)
		}
		switch mode {
		case "nxdomain":
			if !strings.Contains(out, "status: NXDOMAIN") {
				t.Errorf("nxdomain:\n%s", out)
			}
		case "null":
			if !strings.Contains(out, "\t0.0.0.0\n") {
				t.Errorf("null:\n%s", out)
			}
			if out := in.dig(t, "127.0.0.2", "+short", "AAAA", "bet.test"); strings.TrimSpace(out) != "::" {
				t.Errorf("null AAAA: %q", out)
			}
		}
		// Warn still goes to the block page whatever block_response says.
		if out := in.dig(t, "127.0.0.2", "+short", "games.test"); strings.TrimSpace(out) != "127.0.0.1" {
			t.Errorf("%s: warn: %q", mode, out)
		}
	}
}

func TestDNSServfailWhenUpstreamDown(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := pc.LocalAddr().String()
	pc.Close()
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // reads, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	for _, up := range []string{dead, silent.LocalAddr().String()} {
		in := dnsStart(t, monday10, up, nil) // its readiness probe takes SERVFAIL too
		start := time.Now()
		out := in.dig(t, "127.0.0.3", "down.test")
		if !strings.Contains(out, "status: SERVFAIL") {
			t.Errorf("upstream %s:\n%s", up, out)
		}
		// Within dns.timeout (1s) and well before dig's own 5s: the
		// margin is for starting dig on a loaded machine.
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("SERVFAIL took %v (dns.timeout 1s)", d)
		}
		// Blocks need no upstream.
		if out := in.dig(t, "127.0.0.2", "+short", "bet.test"); strings.TrimSpace(out) != "127.0.0.1" {
			t.Errorf("block with upstream down: %q", out)
		}
	}
}

func TestDNSReload(t *testing.T) {
	in := dnsStart(t, monday10, "", nil)
	if out := in.dig(t, "127.0.0.2", "+short", "newly.test"); strings.TrimSpace(out) != dnstest.AddrFor("newly.test").String() {
		t.Fatalf("newly.test before the list changed: %q, want the upstream's address", out)
	}
	// Keep querying through both reloads: no query may fail.
	var failures, total atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			out, err := in.digRun("127.0.0.3", "+time=2", "+tries=1", "steady.test")
			total.Add(1)
			if err != nil || !strings.Contains(out, "status: NOERROR") {
				failures.Add(1)
			}
		}
	}()

	// 1. SIGHUP after a list edit (the file watcher may also see it).
	dnsWrite(t, in.dir, "gambling.txt", "gambling.test\nbet.test\nnewly.test\n")
	in.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "newly.test blocked after SIGHUP", func() bool {
		return strings.TrimSpace(in.dig(t, "127.0.0.2", "+short", "newly.test")) == "127.0.0.1"
	})

	// 2. A policy file change, picked up by the watcher alone.
	policy, err := os.ReadFile(in.policyAt)
	if err != nil {
		t.Fatal(err)
	}
	dnsWrite(t, in.dir, "policy.yaml", strings.Replace(string(policy), "  timeout: 1s\n", "  timeout: 1s\n  block_response: nxdomain\n", 1))
	waitFor(t, 15*time.Second, "block_response nxdomain after the file changed", func() bool {
		return strings.Contains(in.dig(t, "127.0.0.2", "newly.test"), "status: NXDOMAIN")
	})
	close(stop)
	wg.Wait()
	if failures.Load() > 0 {
		t.Errorf("%d of %d queries failed during reloads", failures.Load(), total.Load())
	}
	if !strings.Contains(in.logText(), "policy reloaded") {
		t.Errorf("no reload in the log:\n%s", in.logText())
	}
}

func TestDNSMetrics(t *testing.T) {
	in := dnsStart(t, monday10, "", nil)
	in.dig(t, "127.0.0.2", "bet.test")
	in.dig(t, "127.0.0.3", "allowed.test")
	before, _ := metricValue(fetchMetrics(t, in.admin), "schoolgate_dns_cache_hits_total")
	in.dig(t, "127.0.0.3", "allowed.test")
	body := fetchMetrics(t, in.admin)
	// The second allowed.test comes from the cache (the readiness probes
	// may have hit it before).
	if hits, ok := metricValue(body, "schoolgate_dns_cache_hits_total"); !ok || hits != before+1 {
		t.Errorf("schoolgate_dns_cache_hits_total = %v (present %v), want %v", hits, ok, before+1)
	}
	for _, want := range []string{
		`schoolgate_dns_queries_total{result="blocked"} 1`,
		`schoolgate_dns_blocks_total{category="gambling"} 1`,
		`schoolgate_dns_upstream_duration_seconds_count{upstream="` + in.up.Addr() + `"}`,
		// Nothing is rolled up yet: the hour of these events has not ended.
		`schoolgate_activity_rolled_up_to_seconds 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestDNSRealLists loads real UT1 category lists from the shared folder
// and checks a listed gambling site is blocked for pupils only.
func TestDNSRealLists(t *testing.T) {
	shared := os.Getenv("SCHOOLGATE_SHARED")
	if shared == "" {
		shared = filepath.Join("..", "..", "..", "shared")
	}
	ut1, err := filepath.Abs(filepath.Join(shared, "data", "lists", "ut1"))
	if err != nil {
		t.Fatal(err)
	}
	domains, err := os.ReadFile(filepath.Join(ut1, "gambling", "domains"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared lists: %v", err)
		}
		t.Skipf("shared lists not found (%v); set SCHOOLGATE_SHARED", err)
	}
	var site string
	for _, l := range strings.Split(string(domains), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") && strings.Contains(l, ".") {
			site = l
			break
		}
	}
	in := dnsStart(t, monday10, "", func(s string) string {
		s = strings.Replace(s, "    sources: [{path: gambling.txt, format: domains}]",
			"    sources: [{path: "+filepath.Join(ut1, "gambling")+", format: ut1}]", 1)
		return strings.Replace(s, "  games:\n    sources: [{path: games.txt, format: domains}]",
			"  games:\n    sources: [{path: "+filepath.Join(ut1, "games")+", format: ut1}]", 1)
	})
	t.Logf("real UT1 gambling and games lists: ready in %v; probing %s", in.ready, site)
	if out := in.dig(t, "127.0.0.2", "+short", "www."+site); strings.TrimSpace(out) != "127.0.0.1" {
		t.Errorf("pupils www.%s: %q", site, out)
	}
	if out := in.dig(t, "127.0.0.3", "+short", "www."+site); strings.TrimSpace(out) != dnstest.AddrFor("www."+site).String() {
		t.Errorf("staff www.%s: %q, want the upstream's address", site, out)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDNSHonoursDeviceContinue: a pupil's device nobody has logged in on
// gets the warning page for a warn name (through DNS, the block page
// address); its Continue there is stored as an override for its address,
// so DNS then answers that device with the site's own address. Another
// pupil device still gets the warning.
func TestDNSHonoursDeviceContinue(t *testing.T) {
	in := dnsStart(t, "", "", func(s string) string {
		s = strings.Replace(s, "pupils: {networks: [127.0.0.2/32]", "pupils: {networks: [127.0.0.2/32, 127.0.0.5/32]", 1)
		return s + "blockpage: {listen: 127.0.0.1:0}\n"
	})
	m := regexp.MustCompile(`msg="block page listening" addr=(\S+)`).FindStringSubmatch(in.logText())
	if m == nil {
		t.Fatalf("no block page listener:\n%s", in.logText())
	}
	site := dnstest.AddrFor("games.test").String()
	for _, from := range []string{"127.0.0.2", "127.0.0.5"} {
		if out := in.dig(t, from, "+short", "games.test"); strings.TrimSpace(out) != "127.0.0.1" {
			t.Fatalf("%s games.test before Continue: %q, want the block page", from, out)
		}
	}
	// The browser on 127.0.0.2 shows the warning and posts Continue, to
	// the block page's own address with the page's token.
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 5 * time.Second}
	req, _ := http.NewRequest("GET", "http://"+m[1]+"/play", nil)
	req.Host = "games.test"
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	action, form := pageForm(t, string(page), "continue")
	if action != "http://"+m[1]+"/.schoolgate/continue" || form.Get("url") != "http://games.test/play" {
		t.Fatalf("continue form: %s %v", action, form)
	}
	req, _ = http.NewRequest("POST", action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "http://games.test/play" {
		t.Fatalf("Continue answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		out := strings.TrimSpace(in.dig(t, "127.0.0.2", "+short", "games.test"))
		if out == site {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after Continue 127.0.0.2 still gets %q, want %s", out, site)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out := in.dig(t, "127.0.0.5", "+short", "games.test"); strings.TrimSpace(out) != "127.0.0.1" {
		t.Fatalf("another device got %q after the first one's Continue", out)
	}
}
