package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/logtest"
	"schoolgate/internal/policy"
)

func TestForwardStripsHopHeadersAndAddsVia(t *testing.T) {
	var got http.Header
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Connection", "X-Secret")
		w.Header().Set("X-Secret", "hop")
		w.Header().Set("Keep-Alive", "timeout=5")
		io.WriteString(w, "hello "+r.URL.RequestURI())
	}))
	defer origin.Close()
	h := startProxy(t, harnessOpt{})
	c := h.client(t, "", nil)
	req, _ := http.NewRequest("GET", site("ok.test", origin.URL, "/a?b=1"), nil)
	req.Header.Set("Connection", "X-Client-Hop")
	req.Header.Set("X-Client-Hop", "1")
	req.Header.Set("Proxy-Connection", "keep-alive")
	for i := 0; i < 2; i++ {
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "hello /a?b=1" {
			t.Fatalf("body %q", body)
		}
		if resp.Header.Get("X-Secret") != "" || resp.Header.Get("Keep-Alive") != "" {
			t.Errorf("hop-by-hop response headers passed: %v", resp.Header)
		}
		if !strings.Contains(resp.Header.Get("Via"), "schoolgate") {
			t.Errorf("no Via on the response: %v", resp.Header)
		}
	}
	if got.Get("X-Client-Hop") != "" || got.Get("Proxy-Connection") != "" {
		t.Errorf("hop-by-hop request headers reached the site: %v", got)
	}
	if !strings.Contains(got.Get("Via"), "schoolgate") {
		t.Errorf("no Via at the site: %v", got)
	}
	ev := h.events.all()
	if len(ev) != 2 || ev[0].Verdict != "allow" || ev[0].Host != "ok.test" || !strings.HasSuffix(ev[0].URL, "/a?b=1") || ev[0].Point != "proxy" {
		t.Errorf("activity %+v", ev)
	}
}

func TestStreamingBodiesBothWays(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		// No length: the proxy must relay it chunked, flushing as it goes.
		w.Write([]byte("first "))
		w.(http.Flusher).Flush()
		time.Sleep(50 * time.Millisecond)
		w.Write([]byte(strings.Repeat("x", int(n))))
	}))
	defer origin.Close()
	h := startProxy(t, harnessOpt{})
	c := h.client(t, "", nil)
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < 10; i++ {
			pw.Write([]byte(strings.Repeat("y", 1000)))
		}
		pw.Close()
	}()
	resp, err := c.Post(site("ok.test", origin.URL, "/up"), "application/octet-stream", pr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("transfer encoding %v, want chunked", resp.TransferEncoding)
	}
	b, _ := io.ReadAll(resp.Body)
	if len(b) != len("first ")+10000 {
		t.Errorf("got %d bytes", len(b))
	}
}

func TestBlockWarnAndContinue(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the site") }))
	defer origin.Close()
	h := startProxy(t, harnessOpt{})
	c := h.client(t, "", nil)

	resp, err := c.Get(site("bet.test", origin.URL, "/spin"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(body), "This page is blocked") || !strings.Contains(string(body), "Gambling") ||
		!strings.Contains(string(body), "Test Primary School") || !strings.Contains(string(body), "SG-") {
		t.Fatalf("block page %d: %s", resp.StatusCode, body)
	}

	resp, _ = c.Get(site("bad.test", origin.URL, "/secret-path"))
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || strings.Contains(string(body), "bad.test") || strings.Contains(string(body), "secret-path") ||
		strings.Contains(string(body), "Ask for access") || !strings.Contains(string(body), "Illegal content") {
		t.Errorf("illegal page must name the category only and offer no access: %s", body)
	}

	u := site("game.test", origin.URL, "/play")
	resp, _ = c.Get(u)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Continue to the site") {
		t.Fatalf("warn page %d: %s", resp.StatusCode, body)
	}
	// With no block-page listener the form posts to the proxy's own
	// address; a post from another site is refused.
	action, form := formIn(t, string(body), "continue")
	if action != "http://"+h.addr+"/.schoolgate/continue" || form.Get("url") != u {
		t.Fatalf("continue form: %s %v", action, form)
	}
	if code, _ := post(t, c, action, form, "http://evil.example"); code != 403 {
		t.Errorf("cross-origin continue: %d, want 403", code)
	}
	req, _ := http.NewRequest("POST", action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "http://game.test:"+port(origin.URL))
	resp, _ = c.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 303 || resp.Header.Get("Location") != u {
		t.Fatalf("continue: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = c.Get(u)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "the site" {
		t.Errorf("after continue: %d %s", resp.StatusCode, body)
	}
	// The click-through is this pupil's: another still gets the warning.
	resp, err = h.client(t, "127.0.0.3", nil).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Continue to the site") {
		t.Errorf("another pupil after the continue: %d %s, want the warning", resp.StatusCode, body)
	}
	var sawContinue, sawAllowed bool
	for _, e := range h.events.all() {
		if e.Action == "continue" && e.Host == "game.test" {
			sawContinue = true
		}
		if e.Action == "" && e.Host == "game.test" && e.Verdict == "allow" && e.Rule == "continue" {
			sawAllowed = true
		}
		if e.Illegal && e.URL != "" {
			t.Errorf("illegal event carries its URL: %+v", e)
		}
	}
	if !sawContinue {
		t.Error("the click-through was not logged")
	}
	if !sawAllowed {
		t.Error("the visit after the click-through was not logged as allowed by it (rule continue)")
	}
	// Staff (127.0.0.2) are allowed games without a warning.
	resp, err = h.client(t, "127.0.0.2", nil).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("staff: %d", resp.StatusCode)
	}
}

func TestBadInput(t *testing.T) {
	var logBuf logtest.Buffer
	h := startProxy(t, harnessOpt{proxyYAML: "  header_timeout: 300ms\n  max_header_bytes: 4096\n  allow_networks: [127.0.0.1/32, 127.0.0.2/32]\n",
		log: slog.New(slog.NewTextHandler(&logBuf, nil))})
	big := strings.Repeat("a", 5000)
	cases := []struct {
		name, from, req, want string
	}{
		{"garbage", "", "HELLO\r\n\r\n", "400"},
		{"no version", "", "GET http://ok.test/\r\nHost: ok.test\r\n\r\n", "400"},
		{"http2 line", "", "GET http://ok.test/ HTTP/2.0\r\nHost: ok.test\r\n\r\n", "505"},
		{"bare LF", "", "GET http://ok.test/ HTTP/1.1\nHost: ok.test\n\n", "400"},
		{"oversized header", "", "GET http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\nX-Big: " + big + "\r\n\r\n", "431"},
		{"CL and TE", "", "POST http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400"},
		{"two lengths", "", "POST http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "400"},
		{"same length twice", "", "POST http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", "400"},
		{"odd TE", "", "POST http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "501"},
		{"space before colon", "", "GET http://ok.test/ HTTP/1.1\r\nHost : ok.test\r\n\r\n", "400"},
		{"folded header", "", "GET http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\nX-A: 1\r\n continued\r\n\r\n", "400"},
		{"no host", "", "GET http://ok.test/ HTTP/1.1\r\n\r\n", "400"},
		{"https absolute", "", "GET https://ok.test/ HTTP/1.1\r\nHost: ok.test\r\n\r\n", "400"},
		{"userinfo", "", "GET http://a:b@ok.test/ HTTP/1.1\r\nHost: ok.test\r\n\r\n", "400"},
		{"origin form", "", "GET / HTTP/1.1\r\nHost: ok.test\r\n\r\n", "400"},
		{"connect port 22", "", "CONNECT ok.test:22 HTTP/1.1\r\nHost: ok.test:22\r\n\r\n", "403"},
		{"connect no port", "", "CONNECT ok.test HTTP/1.1\r\nHost: ok.test\r\n\r\n", "400"},
		{"outside allow_networks", "127.0.0.9", "GET http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\n\r\n", "403"},
		{"slow loris", "", "GET http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\n", "408"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			line := h.raw(t, tc.from, tc.req)
			if !strings.HasPrefix(line, "HTTP/1.1 "+tc.want) {
				t.Errorf("got %q, want %s", line, tc.want)
			}
		})
	}
	// The refusal is logged, without the client's address.
	if out := logBuf.String(); !strings.Contains(out, "outside allow_networks") || strings.Contains(out, "127.0.0.9") {
		t.Errorf("want the refusal logged without the client's address:\n%s", out)
	}
	// The proxy still works after all that.
	if line := h.raw(t, "", "GET http://ok.test:1/ HTTP/1.1\r\nHost: ok.test\r\n\r\n"); !strings.HasPrefix(line, "HTTP/1.1 502") {
		t.Errorf("after bad input: %q", line)
	}
}

func tlsOrigin(t *testing.T, body string) (*httptest.Server, *tls.Config) {
	origin := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body+" "+r.URL.RequestURI()+" "+r.URL.Query().Get("safe"))
	}))
	t.Cleanup(origin.Close)
	pool := x509.NewCertPool()
	pool.AddCert(origin.Certificate())
	return origin, &tls.Config{RootCAs: pool}
}

func TestConnectTunnels(t *testing.T) {
	origin, trust := tlsOrigin(t, "secure")
	h := startProxy(t, harnessOpt{proxyYAML: "  connect_ports: [443, " + port(origin.URL) + "]\n"})
	trust.ServerName = "example.com" // httptest's certificate names example.com
	c := h.client(t, "", trust)
	resp, err := c.Get("https://ok.test:" + port(origin.URL) + "/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(b), "secure /x") {
		t.Errorf("tunnel body %q", b)
	}
	_, err = c.Get("https://bet.test:" + port(origin.URL) + "/")
	if err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("blocked tunnel: %v", err)
	}
	// An IP-literal CONNECT is decided on the hello's server name.
	for _, tc := range []struct {
		sni string
		ok  bool
	}{{"ok.test", true}, {"bet.test", false}} {
		conn, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conn, "CONNECT 127.0.0.1:"+port(origin.URL)+" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		buf := make([]byte, len("HTTP/1.1 200 Connection established\r\n\r\n"))
		io.ReadFull(conn, buf)
		cfg := trust.Clone()
		cfg.ServerName = tc.sni
		cfg.InsecureSkipVerify = true
		tc2 := tls.Client(conn, cfg)
		err = tc2.Handshake()
		if (err == nil) != tc.ok {
			t.Errorf("IP CONNECT with SNI %s: handshake err %v", tc.sni, err)
		}
		conn.Close()
	}
	var blocked int
	for _, e := range h.events.all() {
		if e.Host == "bet.test" && e.Verdict == "block" {
			blocked++
		}
	}
	if blocked != 2 {
		t.Errorf("blocked tunnels logged %d times, want 2", blocked)
	}
}

func TestInspection(t *testing.T) {
	origin, trust := tlsOrigin(t, "inspected")
	trust.ServerName = "example.com"
	h := startProxy(t, harnessOpt{inspect: true, upstream: &tls.Config{RootCAs: trust.RootCAs, ServerName: "example.com"},
		proxyYAML: "  connect_ports: [443, " + port(origin.URL) + "]\n"})
	schoolPool := x509.NewCertPool()
	schoolPool.AddCert(h.ca.Certificate())
	c := h.client(t, "", &tls.Config{RootCAs: schoolPool})
	p := port(origin.URL)

	resp, err := c.Get("https://www.google.com:" + p + "/search?q=volcanoes")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "safe=active") || !strings.HasSuffix(string(b), " active") {
		t.Errorf("SafeSearch not forced: %q", b)
	}
	resp, err = c.Get("https://bet.test:" + p + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "This page is blocked") {
		t.Errorf("HTTPS block page: %d", resp.StatusCode)
	}
	if resp.TLS == nil || resp.TLS.PeerCertificates[0].Issuer.CommonName != h.ca.Certificate().Subject.CommonName {
		t.Error("block page not served with the school CA")
	}
	// Banking is never inspected: the client sees the site's own
	// certificate (httptest's, for example.com), not one from the school CA.
	_, err = c.Get("https://bank.test:" + p + "/")
	var herr x509.HostnameError
	if !errors.As(err, &herr) || herr.Certificate.Issuer.CommonName == h.ca.Certificate().Subject.CommonName {
		t.Errorf("banking was inspected? err=%v", err)
	}
	var search string
	for _, e := range h.events.all() {
		if e.Search != "" {
			search = e.Search
		}
	}
	if search != "volcanoes" {
		t.Errorf("search terms not logged: %q", search)
	}
}

// fakeDir is a Directory with one user. Like the store's directory it
// refuses a client after failMax wrong passwords, and answers ErrBusy when
// busy is set: the proxy maps each answer to its status.
type fakeDir struct {
	calls, fails atomic.Int32
	busy         atomic.Bool
}

const failMax = 3

func (f *fakeDir) Authenticate(ctx context.Context, user, pass string, client netip.Addr) (*identity.User, error) {
	f.calls.Add(1)
	switch {
	case f.busy.Load():
		return nil, identity.ErrBusy
	case f.fails.Load() >= failMax:
		return nil, identity.ErrRateLimited
	case user == "amy" && pass == "correct horse":
		return &identity.User{Username: "amy", Groups: []string{"staff"}}, nil
	}
	f.fails.Add(1)
	return nil, identity.ErrBadCredentials
}

func (f *fakeDir) Lookup(ctx context.Context, user string) (*identity.User, error) {
	return nil, identity.ErrNotFound
}

func TestBasicAuth(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Proxy-Authorization") != "" {
			t.Error("credentials forwarded to the site")
		}
		io.WriteString(w, "ok")
	}))
	defer origin.Close()
	dir := &fakeDir{}
	h := startProxy(t, harnessOpt{proxyYAML: "  auth: basic\n  realm: Test School\n", dir: dir})
	c := h.client(t, "", nil)
	resp, err := c.Get(site("game.test", origin.URL, "/"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 407 || !strings.Contains(resp.Header.Get("Proxy-Authenticate"), `realm="Test School"`) {
		t.Fatalf("no credentials: %d %v", resp.StatusCode, resp.Header)
	}
	if n := dir.calls.Load(); n != 0 {
		t.Errorf("no credentials, yet the directory was asked %d times", n)
	}
	pu, _ := url.Parse("http://amy:correct%20horse@" + h.addr)
	good := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
	defer good.Transport.(*http.Transport).CloseIdleConnections()
	get := func(c *http.Client, host string) (int, string) {
		t.Helper()
		resp, err := c.Get(site(host, origin.URL, "/"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	for i := 0; i < 3; i++ {
		// amy is staff: games are allowed without a warning.
		if code, b := get(good, "game.test"); b != "ok" {
			t.Fatalf("amy: %d %s", code, b)
		}
	}
	if u, ok := h.srv.d.Identity.Sessions().Lookup(netip.MustParseAddr("127.0.0.1")); !ok || u != "amy" {
		t.Errorf("session not set: %q %v", u, ok)
	}
	if e := h.events.all(); e[len(e)-1].User != "amy" {
		t.Errorf("event user %q", e[len(e)-1].User)
	}
	pu, _ = url.Parse("http://amy:guess@" + h.addr)
	bad := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
	defer bad.Transport.(*http.Transport).CloseIdleConnections()
	var codes []int
	for i := 0; i < failMax+2; i++ {
		code, _ := get(bad, "ok.test")
		codes = append(codes, code)
	}
	if codes[0] != 407 || codes[len(codes)-1] != 429 {
		t.Errorf("wrong passwords answered %v, want 407 first and 429 once the directory refuses", codes)
	}
	dir.busy.Store(true)
	if code, _ := get(good, "game.test"); code != 503 {
		t.Errorf("directory busy: %d, want 503", code)
	}
}

func TestShutdownClosesIdleConnections(t *testing.T) {
	h := startProxy(t, harnessOpt{})
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	h.srv.Shutdown(ctx)
	if time.Since(start) > time.Second {
		t.Errorf("shutdown waited %s for an idle connection", time.Since(start))
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("idle connection still open")
	}
}

func TestPermissionAndOverride(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "social") }))
	defer origin.Close()
	h := startProxy(t, harnessOpt{})
	c := h.client(t, "", nil)
	resp, _ := c.Get(site("social.test", origin.URL, "/"))
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "permission") {
		t.Fatalf("permission page: %d", resp.StatusCode)
	}
	h.engine.SetOverrides(policy.NewOverrides([]policy.Override{{ID: 7, Kind: "unblock", Group: "pupils", Target: "social.test", Verdict: policy.Allow, Until: time.Now().Add(time.Hour)}}))
	resp, _ = c.Get(site("social.test", origin.URL, "/"))
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "social" {
		t.Errorf("after the grant: %d %s", resp.StatusCode, b)
	}
}
