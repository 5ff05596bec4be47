package pages

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/policy"
)

func testEngine(t *testing.T) *policy.Engine {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "g.txt"), []byte("bet.test\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "i.txt"), []byte("bad.test\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(`
site: {name: Pages School}
categories:
  illegal: {title: Illegal content, illegal: true, sources: [{path: i.txt, format: domains}]}
  gambling: {title: Gambling, sources: [{path: g.txt, format: domains}]}
groups:
  pupils: {networks: [10.0.0.0/8]}
  staff: {networks: [10.10.0.0/16]}
default_group: pupils
rules:
  illegal: {others: block}
  gambling: {others: block}
default: {pupils: block, others: allow}
proxy:
  listen: 127.0.0.1:3128
`), 0o644)
	e, err := policy.NewEngine(filepath.Join(dir, "policy.yaml"), policy.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestBlockedPages(t *testing.T) {
	e := testEngine(t)
	p, err := New(Options{Engine: e, Requests: nil})
	if err != nil {
		t.Fatal(err)
	}
	snap := e.Snapshot()
	v := Visitor{Client: netip.MustParseAddr("10.1.2.3"), Groups: snap.GroupsForIP(netip.MustParseAddr("10.1.2.3"))}
	for _, tc := range []struct {
		url, want string
		not       []string
	}{
		{"http://bet.test/spin", "Sites like this are not allowed for pupils", nil},
		{"http://bad.test/entry", "illegal content", []string{"bad.test", "/entry", "Ask for access", "Continue"}},
		{"http://unlisted.test/", "Only sites on the school&#39;s list are open", nil},
	} {
		tg, _ := policy.ParseTarget(tc.url)
		d := snap.Decide(&policy.Query{Host: tg.Host, Path: tg.Path, Groups: v.Groups})
		w := httptest.NewRecorder()
		p.Blocked(w, httptest.NewRequest("GET", tc.url, nil), v, Blocked{URL: tc.url, Host: tg.Host, Decision: d, Snapshot: snap, Ref: "SG-00000001"})
		body := w.Body.String()
		if w.Code != http.StatusForbidden || !strings.Contains(body, tc.want) || !strings.Contains(body, "SG-00000001") || !strings.Contains(body, "Pages School") {
			t.Errorf("%s: %d\n%s", tc.url, w.Code, body)
		}
		for _, n := range tc.not {
			if strings.Contains(body, n) {
				t.Errorf("%s: page contains %q", tc.url, n)
			}
		}
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: cacheable block page", tc.url)
		}
	}
}

// TestFormsNeedPostTokenAndOwnAddress: a form is a POST, to the block
// page's own address (here the default, dns.blockpage_ipv4 port 80), with
// a token for this visitor and page, from that page's origin.
func TestFormsNeedPostTokenAndOwnAddress(t *testing.T) {
	e := testEngine(t)
	p, _ := New(Options{Engine: e})
	v := Visitor{Client: netip.MustParseAddr("10.1.2.3")}
	send := func(method, target string, form url.Values, hdr ...string) int {
		r := httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		p.Serve(w, r, v)
		return w.Code
	}
	page := "http://bet.test/"
	good := url.Values{"url": {page}, "reason": {"x"}, "token": {p.token("request", v, page)}}
	if got := p.formAction(httptest.NewRequest("GET", "http://bet.test/", nil), "request"); got != "http://127.0.0.1:3128/.schoolgate/request" {
		t.Errorf("form action %s", got)
	}
	for _, tc := range []struct {
		what   string
		method string
		target string
		form   url.Values
		hdr    []string
		want   int
	}{
		{"GET", "GET", "http://127.0.0.1:3128/.schoolgate/request", good, nil, http.StatusMethodNotAllowed},
		{"unknown action", "POST", "http://127.0.0.1:3128/.schoolgate/nothing", good, nil, http.StatusNotFound},
		{"on the blocked site's host", "POST", "http://bet.test/.schoolgate/request", good, nil, http.StatusForbidden},
		{"another port", "POST", "http://127.0.0.1:8080/.schoolgate/request", good, nil, http.StatusForbidden},
		{"no token", "POST", "http://127.0.0.1:3128/.schoolgate/request", url.Values{"url": {page}, "reason": {"x"}}, nil, http.StatusForbidden},
		{"cross-site", "POST", "http://127.0.0.1:3128/.schoolgate/request", good, []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://evil.test"}, http.StatusForbidden},
		{"old browser, other origin", "POST", "http://127.0.0.1:3128/.schoolgate/request", good, []string{"Origin", "http://evil.test"}, http.StatusForbidden},
		{"a NUL byte", "POST", "http://127.0.0.1:3128/.schoolgate/request", url.Values{"url": {page}, "reason": {"x\x00"}, "token": good["token"]}, nil, http.StatusBadRequest},
		// No request store here: a good form gets as far as saying so.
		{"from the page's origin", "POST", "http://127.0.0.1:3128/.schoolgate/request", good, []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://bet.test"}, http.StatusServiceUnavailable},
		{"not a browser", "POST", "http://127.0.0.1:3128/.schoolgate/request", good, nil, http.StatusServiceUnavailable},
	} {
		if got := send(tc.method, tc.target, tc.form, tc.hdr...); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.what, got, tc.want)
		}
	}
}

func TestPAC(t *testing.T) {
	p, _ := New(Options{Engine: testEngine(t)})
	w := httptest.NewRecorder()
	p.PAC(w, httptest.NewRequest("GET", "http://wpad.school.test/wpad.dat", nil))
	body := w.Body.String()
	for _, want := range []string{`isInNet(host, "10.0.0.0", "255.0.0.0")`, `isInNet(host, "10.10.0.0", "255.255.0.0")`, `PROXY wpad.school.test:3128`} {
		if !strings.Contains(body, want) {
			t.Errorf("PAC lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "DIRECT\";\n}") {
		t.Error("PAC falls back to DIRECT")
	}
}

// TestBlockPageOverIPv6: a page the block-page listener serves over IPv6
// (dns.blockpage_ipv6) posts its forms back to that address, where they
// are taken; the token, bound to the device's IPv6 address, holds.
func TestBlockPageOverIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	p, _ := New(Options{Engine: testEngine(t)})
	srv := &http.Server{Handler: p.BlockPageHandler(func(r *http.Request) Visitor {
		ap := netip.MustParseAddrPort(r.RemoteAddr)
		return Visitor{Client: ap.Addr()}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	c := &http.Client{Timeout: 5 * time.Second}
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/spin", nil)
	req.Host = "bet.test"
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`<form method="post" action="([^"]+)" id="concern">\s*<input type="hidden" name="token" value="([^"]+)">`).FindStringSubmatch(string(page))
	if m == nil {
		t.Fatalf("no concern form:\n%s", page)
	}
	if want := "http://" + ln.Addr().String() + "/.schoolgate/concern"; m[1] != want {
		t.Fatalf("the form posts to %s, want %s", m[1], want)
	}
	form := url.Values{"token": {m[2]}, "page": {"http://bet.test/spin"}, "details": {"x"}}
	for _, tc := range []struct {
		to   string
		host string
		want int
	}{
		// No concern store here: taken, it says so.
		{m[1], "", http.StatusServiceUnavailable},
		{"http://" + ln.Addr().String() + "/.schoolgate/concern", "bet.test", http.StatusForbidden},
	} {
		req, _ := http.NewRequest("POST", tc.to, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tc.host != "" {
			req.Host = tc.host
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("post to %s (Host %q): %d, want %d", tc.to, tc.host, resp.StatusCode, tc.want)
		}
	}
}
