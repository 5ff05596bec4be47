package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/activity"
	"schoolgate/internal/ca"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/proxy/pages"
)

// testPolicy is a small school: gambling blocked, games a warning for
// pupils, social media by permission, an illegal list, banking never
// inspected. 127.0.0.2 is staff; every other loopback address a pupil.
const testPolicy = `
site: {name: Test Primary School, timezone: Europe/London}
categories:
  illegal: {title: Illegal content, illegal: true, sources: [{path: lists/illegal.txt, format: domains}]}
  gambling: {title: Gambling, sources: [{path: lists/gambling.txt, format: domains}]}
  games: {title: On-line games, sources: [{path: lists/games.txt, format: domains}]}
  social: {title: Social media, sources: [{path: lists/social.txt, format: domains}]}
  banking: {title: Banking, no_inspect: true, sources: [{path: lists/bank.txt, format: domains}]}
groups:
  staff: {networks: [127.0.0.2/32]}
  pupils: {networks: [127.0.0.0/8], safesearch: strict}
default_group: pupils
rules:
  illegal: {others: block}
  gambling: {others: block}
  games: {pupils: warn, others: allow}
  social: {pupils: permission, others: allow}
default: allow
dns: {listen: []}
`

// events records activity.
type events struct {
	mu sync.Mutex
	l  []activity.Event
}

func (e *events) Log(ev activity.Event) {
	e.mu.Lock()
	e.l = append(e.l, ev)
	e.mu.Unlock()
}

func (e *events) all() []activity.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]activity.Event(nil), e.l...)
}

type harness struct {
	addr   string
	srv    *Server
	engine *policy.Engine
	events *events
	pages  *pages.Pages
	ca     *ca.Authority
	dir    string
}

type harnessOpt struct {
	proxyYAML  string // extra keys under proxy:
	dir        identity.Directory
	inspect    bool
	upstream   *tls.Config
	opts       func(*pages.Options)
	dial       func(ctx context.Context, network, addr string) (net.Conn, error)
	registerer prometheus.Registerer
	sink       activity.Sink // instead of recording events (benchmarks)
}

func startProxy(t testing.TB, o harnessOpt) *harness {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "lists"), 0o755)
	for f, body := range map[string]string{
		"illegal.txt": "bad.test\n", "gambling.txt": "bet.test\n", "games.txt": "game.test\n",
		"social.txt": "social.test\n", "bank.txt": "bank.test\n",
	} {
		os.WriteFile(filepath.Join(dir, "lists", f), []byte(body), 0o644)
	}
	y := testPolicy + "proxy:\n  listen: 127.0.0.1:0\n  hosts: {bet.test: 127.0.0.1, game.test: 127.0.0.1, ok.test: 127.0.0.1, bank.test: 127.0.0.1, social.test: 127.0.0.1, www.google.com: 127.0.0.1, bad.test: 127.0.0.1}\n" + o.proxyYAML
	if o.inspect {
		y += "  inspect: [pupils]\n"
	}
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(y), 0o644)
	engine, err := policy.NewEngine(filepath.Join(dir, "policy.yaml"), policy.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	po := pages.Options{Engine: engine, Activity: ev}
	if o.opts != nil {
		o.opts(&po)
	}
	pg, err := pages.New(po)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{engine: engine, events: ev, pages: pg, dir: dir}
	var sink activity.Sink = ev
	if o.sink != nil {
		sink = o.sink
	}
	d := Deps{Engine: engine, Identity: identity.NewResolver(identity.NewSessions(nil), o.dir, nil), Directory: o.dir, Activity: sink, Pages: pg, UpstreamTLS: o.upstream, Dial: o.dial, Registerer: o.registerer}
	if o.inspect {
		a, err := ca.LoadOrCreate(filepath.Join(dir, "ca"), "Test", 16, nil)
		if err != nil {
			t.Fatal(err)
		}
		d.CA, h.ca = a, a
	}
	srv, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr, h.srv = ln.Addr().String(), srv
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	t.Cleanup(func() {
		ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	})
	return h
}

// client is an HTTP client that uses the proxy from a given loopback
// source address ("" for 127.0.0.1).
func (h *harness) client(t testing.TB, from string, rootCAs *tls.Config) *http.Client {
	t.Helper()
	pu, _ := url.Parse("http://" + h.addr)
	tr := &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: rootCAs, DisableCompression: true}
	if from != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		tr.DialContext = d.DialContext
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
}

// raw sends bytes on a fresh connection and returns the first response's
// status line (or "" if the proxy closed without answering).
func (h *harness) raw(t *testing.T, from, data string) string {
	t.Helper()
	d := net.Dialer{Timeout: 2 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}

func port(u string) string {
	x, _ := url.Parse(u)
	return x.Port()
}

func site(host, originURL, path string) string {
	return fmt.Sprintf("http://%s:%s%s", host, port(originURL), path)
}
