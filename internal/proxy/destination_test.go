package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"schoolgate/internal/logtest"
)

func TestDestGuardCheck(t *testing.T) {
	g := &destGuard{allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}, own: map[netip.Addr]bool{netip.MustParseAddr("192.0.2.7"): true}}
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1", "loopback"},
		{"127.9.9.9", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"::127.0.0.1", "loopback"},     // IPv4-compatible
		{"64:ff9b::7f00:1", "loopback"}, // NAT64 of 127.0.0.1
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"::ffff:0.0.0.0", "unspecified"},
		{"169.254.169.254", "link-local"}, // cloud metadata
		{"::ffff:169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"192.0.2.7", "own-address"},
		{"::ffff:192.0.2.7", "own-address"},
		{"127.0.0.2", ""}, // allow_destinations
		{"::ffff:127.0.0.2", ""},
		{"192.0.2.8", ""},
		{"10.1.2.3", ""},
		{"2001:db8::1", ""},
		{"64:ff9b::c000:208", ""}, // NAT64 of 192.0.2.8
	} {
		got := ""
		if err := g.check(netip.MustParseAddr(tc.addr)); err != nil {
			got = strings.TrimPrefix(destRule(err), "destination:")
		}
		if got != tc.want {
			t.Errorf("%s: refused for %q, want %q", tc.addr, got, tc.want)
		}
	}
	if err := g.checkAddr("not an address", nil); err == nil {
		t.Error("an unparsable dial address was allowed")
	}
	// The machine's own interface addresses are read by newDestGuard.
	own := newDestGuard(nil, slog.New(slog.DiscardHandler))
	if len(own.own) == 0 {
		t.Fatal("no interface addresses read")
	}
	for a := range own.own {
		if own.check(a) == nil {
			t.Errorf("own address %s allowed", a)
		}
	}
}

// listenOn serves h on addr (host:0), counting the requests it gets.
func listenOn(t *testing.T, addr string, body string) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	var hits atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, body)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p, &hits
}

// TestProxyRefusesTheMachineItself runs the site on 127.0.0.2, the only
// range exempted, and a stand-in for the admin listener (/metrics) on
// 127.0.0.1: every way of writing the machine itself is refused with 403,
// before any connection reaches it, logged as a block with a reference.
func TestProxyRefusesTheMachineItself(t *testing.T) {
	sitePort, siteHits := listenOn(t, "127.0.0.2:0", "the site")
	adminPort, adminHits := listenOn(t, "127.0.0.1:0", "schoolgate_metrics 1")
	var logBuf logtest.Buffer
	h := startProxy(t, harnessOpt{
		proxyYAML: "  connect_ports: [443, " + adminPort + "]\n  allow_destinations: [127.0.0.2/32]\n",
		log:       slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	c := h.client(t, "", nil)

	resp, err := c.Get("http://127.0.0.2:" + sitePort + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "the site" || siteHits.Load() != 1 {
		t.Fatalf("exempt site: %d %q", resp.StatusCode, b)
	}

	refused := []string{
		"http://127.0.0.1:" + adminPort + "/metrics",
		"http://localhost:" + adminPort + "/metrics", // a name that resolves to loopback
		"http://ok.test:" + adminPort + "/metrics",   // proxy.hosts → 127.0.0.1
		"http://0.0.0.0:" + adminPort + "/metrics",
		"http://[::ffff:127.0.0.1]:" + adminPort + "/metrics",
		"http://[::1]:" + adminPort + "/metrics",
		"http://127.1.2.3:" + adminPort + "/",
		"http://169.254.169.254/latest/meta-data/", // refused before any packet: no timeout
	}
	for _, u := range refused {
		start := time.Now()
		resp, err := c.Get(u)
		if err != nil {
			t.Errorf("%s: %v", u, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || !strings.Contains(string(b), "reference SG-") {
			t.Errorf("%s: %d %q", u, resp.StatusCode, b)
		}
		if time.Since(start) > 2*time.Second {
			t.Errorf("%s: took %s (a connection was attempted?)", u, time.Since(start))
		}
	}
	// Numeric spellings some resolvers (getaddrinfo's inet_aton) read
	// as 127.0.0.1: refused if they resolve there, unreachable if not;
	// never answered by the admin stand-in.
	for _, host := range []string{"2130706433", "0x7f000001", "127.1", "0177.0.0.1"} {
		resp, err := c.Get("http://" + host + ":" + adminPort + "/metrics")
		if err != nil {
			t.Errorf("%s: %v", host, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("%s: 200 through the proxy", host)
		}
	}
	for _, target := range []string{"127.0.0.1:" + adminPort, "localhost:" + adminPort, "[::ffff:127.0.0.1]:" + adminPort, "0.0.0.0:" + adminPort} {
		if line := h.raw(t, "", "CONNECT "+target+" HTTP/1.1\r\nHost: "+target+"\r\n\r\n"); !strings.HasPrefix(line, "HTTP/1.1 403") {
			t.Errorf("CONNECT %s: %q", target, line)
		}
	}
	if n := adminHits.Load(); n != 0 {
		t.Errorf("the admin stand-in was reached %d times", n)
	}

	// A blocked site still gets its block page: the policy comes first.
	resp, err = c.Get("http://bet.test:" + adminPort + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "This page is blocked") {
		t.Errorf("blocked site on a refused destination: %d, want the block page", resp.StatusCode)
	}

	var dest int
	for _, e := range h.events.all() {
		if strings.HasPrefix(e.Rule, "destination:") {
			dest++
			if e.Verdict != "block" || e.Ref == "" || e.Host == "" {
				t.Errorf("destination event %+v", e)
			}
		}
		if e.Host == "bet.test" && e.Rule != "rules.gambling.others" {
			t.Errorf("blocked site logged with rule %q", e.Rule)
		}
	}
	// At least every refusal above (the numeric spellings add theirs
	// where the resolver reads them as loopback).
	if want := len(refused) + 4; dest < want {
		t.Errorf("%d destination refusals logged, want %d", dest, want)
	}
	log := logBuf.String()
	if got := strings.Count(log, `msg="proxy: destination refused"`); got != dest {
		t.Errorf("%d refusals in the system log, %d in the activity log:\n%s", got, dest, log)
	}
	for _, leak := range []string{"localhost", "ok.test", "bet.test", "169.254", adminPort} {
		if strings.Contains(log, leak) {
			t.Errorf("system log names %q:\n%s", leak, log)
		}
	}
	if !strings.Contains(log, "rule=destination:loopback") || !strings.Contains(log, "rule=destination:link-local") {
		t.Errorf("system log lacks the reasons:\n%s", log)
	}
}

// TestProxyRefusesOwnAddress reaches a server on this machine's own
// non-loopback address: refused although it is neither loopback nor
// link-local.
func TestProxyRefusesOwnAddress(t *testing.T) {
	var own netip.Addr
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() && !p.Addr().IsLoopback() && !p.Addr().IsLinkLocalUnicast() {
			own = p.Addr()
			break
		}
	}
	if !own.IsValid() {
		t.Skip("no non-loopback IPv4 address on this machine")
	}
	p, hits := listenOn(t, net.JoinHostPort(own.String(), "0"), "local service")
	h := startProxy(t, harnessOpt{})
	resp, err := h.client(t, "", nil).Get("http://" + net.JoinHostPort(own.String(), p) + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || hits.Load() != 0 {
		t.Errorf("own address %s: %d, %d hits", own, resp.StatusCode, hits.Load())
	}
	evs := h.events.all()
	if len(evs) != 1 || evs[0].Rule != "destination:own-address" {
		t.Errorf("events %+v", evs)
	}
}

// TestInspectedRefusesTheMachineItself: inside an inspected tunnel the
// Transport dials through the same guard, and the refusal is a 403 page
// within the tunnel.
func TestInspectedRefusesTheMachineItself(t *testing.T) {
	origin := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "local TLS service")
	}))
	t.Cleanup(origin.Close)
	pool := x509.NewCertPool()
	pool.AddCert(origin.Certificate())
	h := startProxy(t, harnessOpt{inspect: true, upstream: &tls.Config{RootCAs: pool, ServerName: "example.com"},
		proxyYAML: "  connect_ports: [443, " + port(origin.URL) + "]\n  allow_destinations: [127.0.0.2/32]\n"})
	schoolPool := x509.NewCertPool()
	schoolPool.AddCert(h.ca.Certificate())
	resp, err := h.client(t, "", &tls.Config{RootCAs: schoolPool}).Get("https://ok.test:" + port(origin.URL) + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || strings.Contains(string(b), "local TLS service") {
		t.Errorf("inspected request to loopback: %d %q", resp.StatusCode, b)
	}
	var found bool
	for _, e := range h.events.all() {
		found = found || e.Rule == "destination:loopback" && e.Verdict == "block"
	}
	if !found {
		t.Errorf("no destination event in %+v", h.events.all())
	}
}

// TestErrReasonNamesNoSite: the reasons logged for failures keep their
// kind and lose the host, address or name the error spelled out.
func TestErrReasonNamesNoSite(t *testing.T) {
	_, dnsErr := net.DefaultResolver.LookupHost(context.Background(), "secret-site.invalid")
	var d net.Dialer
	_, refused := d.Dial("tcp", "127.0.0.1:1")
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	_, timeout := d.DialContext(ctx, "tcp", "192.0.2.1:80")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{dnsErr, "name"},
		{refused, "connection refused"},
		{timeout, "timeout"},
		{&net.OpError{Op: "dial", Net: "tcp", Err: &destinationError{reason: "loopback"}}, "destination:loopback"},
		{&url.Error{Op: "Get", URL: "http://secret-site.invalid/x", Err: io.ErrUnexpectedEOF}, "connection closed early"},
		{fmt.Errorf("weird failure at secret-site.invalid"), "*errors.errorString"},
	} {
		got := errReason(tc.err)
		if !strings.Contains(got, tc.want) || strings.Contains(got, "secret-site") || strings.Contains(got, "127.0.0.1") || strings.Contains(got, "192.0.2.1") {
			t.Errorf("errReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// TestAllowDestinationsReload: the guard follows policy reloads.
func TestAllowDestinationsReload(t *testing.T) {
	p, hits := listenOn(t, "127.0.0.1:0", "local site")
	h := startProxy(t, harnessOpt{proxyYAML: "  allow_destinations: [127.0.0.2/32]\n"})
	get := func() int {
		// A new client each time: a kept connection keeps the settings
		// it started with.
		resp, err := h.client(t, "", nil).Get("http://ok.test:" + p + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(); code != 403 || hits.Load() != 0 {
		t.Fatalf("before: %d", code)
	}
	path := filepath.Join(h.dir, "policy.yaml")
	y, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(y), "allow_destinations: [127.0.0.2/32]", "allow_destinations: [127.0.0.2/32, 127.0.0.1/32]", 1)), 0o644)
	if _, err := h.engine.Reload(); err != nil {
		t.Fatal(err)
	}
	if code := get(); code != 200 || hits.Load() != 1 {
		t.Errorf("after exempting 127.0.0.1: %d", code)
	}
	os.WriteFile(path, y, 0o644)
	if _, err := h.engine.Reload(); err != nil {
		t.Fatal(err)
	}
	if code := get(); code != 403 || hits.Load() != 1 {
		t.Errorf("after dropping it: %d", code)
	}
}

func TestDestGuardListeners(t *testing.T) {
	g := &destGuard{
		allow:     []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")},
		own:       map[netip.Addr]bool{netip.MustParseAddr("192.0.2.7"): true},
		listeners: configListeners("127.0.0.1:9153", ":8080", "localhost:5353", "127.0.0.1:0", "nonsense"),
	}
	bound := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:3128")}
	for _, tc := range []struct {
		ap     string
		refuse bool
	}{
		{"127.0.0.1:9153", true},
		{"[::ffff:127.0.0.1]:9153", true},
		{"0.0.0.0:9153", true},
		{"127.0.0.2:9153", false}, // another address, allowed here by allow_destinations
		{"192.0.2.7:8080", true},  // a wildcard listener on an own address
		{"127.0.0.5:8080", true},
		{"[::1]:8080", true},
		{"198.51.100.1:8080", false}, // another machine
		{"127.0.0.1:5353", true},     // a listener named by host name
		{"127.0.0.1:3128", true},     // the proxy's own, as bound
		{"127.0.0.1:3129", false},
		{"127.0.0.1:0", false},
	} {
		err := g.checkAddrPort(netip.MustParseAddrPort(tc.ap), bound)
		if (err != nil) != tc.refuse || err != nil && destRule(err) != "destination:own-listener" {
			t.Errorf("%s: %v, want refused %v", tc.ap, err, tc.refuse)
		}
	}
}

// TestOwnListenersRefusedInsideAllowDestinations: with all of loopback
// exempt (an intranet site on this machine), the proxy's own port and
// the admin listener are still refused, and the site is reached.
func TestOwnListenersRefusedInsideAllowDestinations(t *testing.T) {
	sitePort, siteHits := listenOn(t, "127.0.0.1:0", "intranet")
	adminLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminPort := port("http://" + adminLn.Addr().String())
	var adminHits atomic.Int64
	admin := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { adminHits.Add(1) })}
	go admin.Serve(adminLn)
	t.Cleanup(func() { admin.Close() })
	h := startProxy(t, harnessOpt{extraYAML: "admin: {listen: 127.0.0.1:" + adminPort + "}\n"})
	c := h.client(t, "", nil)
	for _, tc := range []struct {
		url  string
		want int
	}{
		{"http://ok.test:" + sitePort + "/", 200},
		{"http://127.0.0.1:" + adminPort + "/metrics", 403},
		{"http://localhost:" + adminPort + "/metrics", 403},
		{"http://" + h.addr + "/proxy.pac", 403},
	} {
		resp, err := c.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.url, resp.StatusCode, tc.want)
		}
	}
	if siteHits.Load() != 1 || adminHits.Load() != 0 {
		t.Errorf("site hits %d, admin hits %d", siteHits.Load(), adminHits.Load())
	}
	var own int
	for _, e := range h.events.all() {
		if e.Rule == "destination:own-listener" {
			own++
		}
	}
	if own != 3 {
		t.Errorf("%d own-listener refusals logged, want 3", own)
	}
}
