package dnsfilter

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"schoolgate/internal/activity"
	"schoolgate/internal/dnsfilter/dnstest"
	"schoolgate/internal/identity"
	"schoolgate/internal/logtest"
	"schoolgate/internal/policy"
)

// testPolicy is the policy most tests use. pupils (127.0.0.2) are
// filtered with strict SafeSearch, ks1 (127.0.0.4) moderate, staff
// (127.0.0.3) are not filtered at all.
const testPolicy = `
site: {timezone: UTC}
categories:
  illegal:
    illegal: true
    sources: [{path: illegal.txt, format: domains}]
  gambling:
    sources: [{path: gambling.txt, format: domains}]
  games:
    sources: [{path: games.txt, format: domains}]
  social:
    sources: [{path: social.txt, format: domains}]
  shopping:
    sources: [{path: shopping.txt, format: domains}]
schedules:
  lunch:
    - {days: [mon, tue, wed, thu, fri], from: "12:00", to: "13:00"}
groups:
  pupils: {networks: [127.0.0.2/32], safesearch: strict}
  ks1: {networks: [127.0.0.4/32], safesearch: moderate}
  staff: {networks: [127.0.0.3/32]}
  named: {users: [alice]}
default_group: staff
rules:
  illegal: {others: block}
  gambling: {pupils: block, ks1: block, others: allow}
  games: {pupils: warn, others: allow}
  social: {pupils: permission, others: allow}
  shopping: {pupils: allow during lunch, others: allow}
default: allow
exceptions:
  - {hosts: [allowed.gambling.test], verdict: allow, groups: [pupils], until: "2026-03-02T10:00:30Z"}
  - {hosts: [evil.illegal.test], verdict: allow}
dns:
  listen: ["127.0.0.1:0"]
  upstreams: [UPSTREAM]
  cache_size: 1000
  timeout: 1s
`

var testLists = map[string]string{
	"illegal.txt":  "illegal.test\n",
	"gambling.txt": "gambling.test\nbet.test\n",
	"games.txt":    "games.test\n",
	"social.txt":   "social.test\n",
	"shopping.txt": "shop.test\n",
}

// t0 is a Monday, 10:00 UTC: outside the lunch window.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// memSink records activity events.
type memSink struct {
	mu     sync.Mutex
	events []activity.Event
}

func (m *memSink) Log(e activity.Event) { m.mu.Lock(); m.events = append(m.events, e); m.mu.Unlock() }

func (m *memSink) last() activity.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.events) == 0 {
		return activity.Event{}
	}
	return m.events[len(m.events)-1]
}

type testEnv struct {
	srv      *Server
	addr     string
	up       *dnstest.Upstream
	clock    *testClock
	sink     *memSink
	sessions *identity.Sessions
	engine   *policy.Engine
	dir      string
	reg      *prometheus.Registry
	logs     *logtest.Buffer // the resolver's log
	// clientAddr is 127.0.0.2:5353 (a pupil), for benchmarks.
	clientAddr netip.AddrPort
}

// startTest runs a resolver on loopback with a local upstream. edit may
// change the policy text (UPSTREAM is replaced by the upstream address).
func startTest(t testing.TB, edit func(string) string) *testEnv {
	t.Helper()
	up, err := dnstest.Start("127.0.0.1:0", 3600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	dir := t.TempDir()
	for name, body := range testLists {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := strings.ReplaceAll(testPolicy, "UPSTREAM", `"`+up.Addr()+`"`)
	if edit != nil {
		text = edit(text)
	}
	path := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: t0}
	engine, err := policy.NewEngine(path, policy.Options{DataDir: dir, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{up: up, clock: clock, sink: &memSink{}, sessions: identity.NewSessions(clock.Now), engine: engine, dir: dir, reg: prometheus.NewRegistry(), logs: &logtest.Buffer{}}
	env.srv, err = New(Options{Engine: engine, Identity: identity.NewResolver(env.sessions, nil, clock.Now), Activity: env.sink, Registry: env.reg, Now: clock.Now,
		Logger: slog.New(slog.NewTextHandler(env.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	env.addr = env.srv.Addrs()[0].String()
	env.clientAddr = netip.MustParseAddrPort("127.0.0.2:5353")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- env.srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-errc
	})
	return env
}

// query asks the resolver from source address from (127.0.0.x) over
// net ("udp" or "tcp") with EDNS0.
func (e *testEnv) query(t testing.TB, from, name string, qtype uint16) *dns.Msg {
	t.Helper()
	return e.exchange(t, from, "udp", name, qtype, true)
}

func (e *testEnv) exchange(t testing.TB, from, netw, name string, qtype uint16, edns bool) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	if edns {
		m.SetEdns0(1232, false)
	}
	var local net.Addr = &net.UDPAddr{IP: net.ParseIP(from)}
	if netw == "tcp" {
		local = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c := &dns.Client{Net: netw, Timeout: 3 * time.Second, Dialer: &net.Dialer{LocalAddr: local, Timeout: 3 * time.Second}}
	r, _, err := c.Exchange(m, e.addr)
	if err != nil {
		t.Fatalf("%s %s from %s: %v", name, dns.TypeToString[qtype], from, err)
	}
	return r
}

// ede returns the Extended DNS Error of a reply, or -1.
func ede(m *dns.Msg) (int, string) {
	if o := m.IsEdns0(); o != nil {
		for _, opt := range o.Option {
			if e, ok := opt.(*dns.EDNS0_EDE); ok {
				return int(e.InfoCode), e.ExtraText
			}
		}
	}
	return -1, ""
}

// firstA returns the first A or AAAA address of the answer.
func firstAddr(m *dns.Msg) netip.Addr {
	for _, rr := range m.Answer {
		switch x := rr.(type) {
		case *dns.A:
			a, _ := netip.AddrFromSlice(x.A)
			return a.Unmap()
		case *dns.AAAA:
			a, _ := netip.AddrFromSlice(x.AAAA)
			return a
		}
	}
	return netip.Addr{}
}

// counterValue reads a counter.
func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

func writeFile(t testing.TB, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func dnstestAddr(name string) string { return dnstest.AddrFor(name).String() }

// onlyUpstream edits a test policy to use up as its only upstream.
func onlyUpstream(s, up string) string {
	i := strings.Index(s, "  upstreams: [")
	j := strings.Index(s[i:], "]\n")
	return s[:i] + "  upstreams: [\"" + up + "\"]\n" + s[i+j+2:]
}
