package e2e

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"schoolgate/internal/dnsfilter/dnstest"
)

// The connection-limit tests run the real binary with DNS and the proxy
// on, flood its listeners, and check that serve stays up and fair: the
// accept loops back off instead of ending serve when descriptors run out,
// one client address cannot fill a listener, and clients outside
// proxy.allow_networks are closed at accept.

// limitsInstance is serve with DNS, the proxy and an origin for ok.test.
type limitsInstance struct {
	serveProcess
	dns, proxy, admin string // host:port
	origin            string // http://ok.test:PORT/
}

var limitsProxyRe = regexp.MustCompile(`msg="proxy listening" addr=(\S+)`)

// limitsStart runs serve (under `prlimit --nofile=N:N` when nofile > 0)
// with the DNS test policy, a proxy, and extra appended to the policy.
func limitsStart(t *testing.T, nofile int, extra string) *limitsInstance {
	t.Helper()
	needTool(t, "curl", "curl")
	bin := dnsBinary(t)
	up, err := dnstest.Start("127.0.0.1:0", 3600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "origin says hello")
	}))
	t.Cleanup(origin.Close)
	dir := t.TempDir()
	for name, body := range dnsLists {
		dnsWrite(t, dir, name, body)
	}
	policy := strings.ReplaceAll(dnsPolicyBase, "UPSTREAM", `"`+up.Addr()+`"`) +
		"proxy:\n  listen: 127.0.0.1:0\n  allow_destinations: [127.0.0.0/8]\n  hosts: {ok.test: 127.0.0.1}\n" + extra
	dnsWrite(t, dir, "policy.yaml", policy)
	data := filepath.Join(dir, "data")
	args := []string{bin, "serve", "-c", filepath.Join(dir, "policy.yaml"), "--data", data}
	if nofile > 0 {
		prlimit := needTool(t, "prlimit", "util-linux")
		args = append([]string{prlimit, fmt.Sprintf("--nofile=%d:%d", nofile, nofile), "--"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "SCHOOLGATE_DATA="+data)
	in := &limitsInstance{serveProcess: newServeProcess(), origin: "http://ok.test:" + proxyPort(origin.URL) + "/"}
	addrs := in.start(t, cmd, dnsListenRe, limitsProxyRe, dnsAdminRe)
	in.dns, in.proxy, in.admin = addrs[0], addrs[1], addrs[2]
	in.waitLog(t, "schoolgate ready")
	return in
}

// waitLog waits up to 20 s for the log to contain s.
func (in *limitsInstance) waitLog(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(in.logText(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q:\n%s", s, in.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive fails the test if serve has exited.
func (in *limitsInstance) alive(t *testing.T) {
	t.Helper()
	select {
	case <-in.exited:
		t.Fatalf("serve exited:\n%s", in.logText())
	default:
	}
}

// query asks the DNS server for name's A record over network (udp or
// tcp) from the loopback address from.
func (in *limitsInstance) query(from, network, name string) (*dns.Msg, error) {
	c := &dns.Client{Net: network, Timeout: 3 * time.Second, Dialer: &net.Dialer{}}
	if network == "tcp" {
		c.Dialer.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	} else {
		c.Dialer.LocalAddr = &net.UDPAddr{IP: net.ParseIP(from)}
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	r, _, err := c.Exchange(m, in.dns)
	return r, err
}

// answered checks that name resolves over UDP to the upstream's address.
func (in *limitsInstance) answered(t *testing.T, what, name string) {
	t.Helper()
	r, err := in.query("127.0.0.3", "udp", name)
	if err != nil {
		t.Fatalf("%s: DNS over UDP for %s: %v", what, name, err)
	}
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != dnstest.AddrFor(name).String() {
		t.Fatalf("%s: DNS over UDP for %s: %v", what, name, r)
	}
}

// flood opens n idle connections to addr from 127.0.0.1 and closes them
// when the test ends (or when the returned function is called).
func flood(t *testing.T, addr string, n int) func() {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
		conns = conns[:0]
	}
	t.Cleanup(closeAll)
	for range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("flood: connection %d of %d: %v", len(conns)+1, n, err)
		}
		conns = append(conns, c)
	}
	return closeAll
}

// closedUnanswered reports whether c is closed by the server without a
// byte sent (what a connection refused at accept sees).
func closedUnanswered(c net.Conn) (bool, string) {
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	b, err := io.ReadAll(c)
	switch {
	case len(b) > 0:
		return false, fmt.Sprintf("answered %q", b)
	case err == nil || errors.Is(err, syscall.ECONNRESET):
		return true, ""
	}
	return false, err.Error()
}

// TestServeSurvivesConnectionFlood floods the proxy with more idle
// connections than serve has descriptors (256). With the default caps
// (the proxy's total a quarter of the limit) the proxy refuses the excess
// at accept and DNS, which needs descriptors to reach its upstream,
// answers throughout.
func TestServeSurvivesConnectionFlood(t *testing.T) {
	in := limitsStart(t, 256, "")
	in.waitLog(t, "open-file limit")
	if !strings.Contains(in.logText(), "soft=256 hard=256") {
		t.Fatalf("serve did not log its open-file limit:\n%s", in.logText())
	}
	// DNS over UDP answers throughout, names it must forward included.
	stop := make(chan struct{})
	dnsDone := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				dnsDone <- nil
				return
			case <-time.After(20 * time.Millisecond):
			}
			name := fmt.Sprintf("q%d.example", i)
			r, err := in.query("127.0.0.3", "udp", name)
			if err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
				dnsDone <- fmt.Errorf("query %d (%s) during the flood: %v %v", i, name, r, err)
				return
			}
		}
	}()
	release := flood(t, in.proxy, 400)
	// The excess is closed at accept: wait until it has all been seen.
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, _ := metricValue(fetchMetrics(t, in.admin), `schoolgate_connections_refused_total{listener="proxy",reason="total"}`)
		if v >= 400-64 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy refused %v connections over its total cap of 64, want %d", v, 400-64)
		}
		time.Sleep(50 * time.Millisecond)
	}
	in.alive(t)
	in.answered(t, "during the flood", "during.example")
	body := fetchMetrics(t, in.admin)
	if v, _ := metricValue(body, `schoolgate_connections_open{listener="proxy"}`); v != 64 {
		t.Fatalf("schoolgate_connections_open{proxy} = %v during the flood, want 64", v)
	}
	release()
	in.alive(t)
	deadline = time.Now().Add(10 * time.Second)
	for {
		code, body, err := proxyCurl(t, in.proxy, in.origin)
		if err == nil && code == 200 && body == "origin says hello" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy after the flood: %d %q %v", code, body, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	in.answered(t, "after the flood", "after.example")
	close(stop)
	if err := <-dnsDone; err != nil {
		t.Fatal(err)
	}
}

// TestServeSurvivesDescriptorExhaustion lifts the proxy's total cap
// above the open-file limit, so that a flood really runs serve out of
// descriptors: the accept loops pause and retry instead of ending serve
// (DNS included), and once the flood ends everything answers again.
func TestServeSurvivesDescriptorExhaustion(t *testing.T) {
	in := limitsStart(t, 256, "limits: {total: 100000}\n")
	in.answered(t, "before the flood", "before.example")
	release := flood(t, in.proxy, 400)
	in.waitLog(t, "accept failed: retrying")
	in.alive(t)
	// A blocked name needs no descriptor: DNS over UDP still answers it.
	r, err := in.query("127.0.0.2", "udp", "gambling.test")
	if err != nil || r.Rcode == dns.RcodeServerFailure {
		t.Fatalf("DNS over UDP while out of descriptors: %v %v", r, err)
	}
	time.Sleep(500 * time.Millisecond) // the accept loop keeps retrying meanwhile
	in.alive(t)
	release()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body, err := proxyCurl(t, in.proxy, in.origin)
		if err == nil && code == 200 && body == "origin says hello" {
			break
		}
		in.alive(t)
		if time.Now().After(deadline) {
			t.Fatalf("proxy after the flood: %d %q %v\n%s", code, body, err, in.logText())
		}
		time.Sleep(100 * time.Millisecond)
	}
	in.answered(t, "after the flood", "after.example")
	if v, _ := metricValue(fetchMetrics(t, in.admin), `schoolgate_accept_errors_total{listener="proxy"}`); v < 1 {
		t.Fatalf("schoolgate_accept_errors_total{proxy} = %v after running out of descriptors", v)
	}
}

// TestConnectionCapsAndAllowNetworks: one client holding its per_client
// share of DNS-over-TCP connections does not shut out another address,
// and the proxy closes a client outside proxy.allow_networks at accept,
// before reading a byte.
func TestConnectionCapsAndAllowNetworks(t *testing.T) {
	in := limitsStart(t, 0, "  allow_networks: [127.0.0.1/32]\nlimits: {per_client: 8}\n")
	var held []*dns.Conn
	for i := range 8 {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.1")}}
		c, err := d.Dial("tcp", in.dns)
		if err != nil {
			t.Fatal(err)
		}
		dc := &dns.Conn{Conn: c}
		defer dc.Close()
		held = append(held, dc)
		m := new(dns.Msg)
		m.SetQuestion(fmt.Sprintf("held%d.example.", i), dns.TypeA)
		dc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := dc.WriteMsg(m); err != nil {
			t.Fatal(err)
		}
		if r, err := dc.ReadMsg(); err != nil || r.Rcode != dns.RcodeSuccess {
			t.Fatalf("held connection %d: %v %v", i+1, r, err)
		}
	}
	// A ninth from 127.0.0.1 is over its share and closed at accept.
	c, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.1")}}).Dial("tcp", in.dns)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, why := closedUnanswered(c); !ok {
		t.Fatalf("ninth DNS connection from 127.0.0.1: %s; want it closed at accept", why)
	}
	// Another address is served over TCP meanwhile.
	if r, err := in.query("127.0.0.2", "tcp", "other.example"); err != nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("DNS over TCP from 127.0.0.2 while 127.0.0.1 holds 8: %v %v", r, err)
	}
	// The proxy: 127.0.0.2 is outside allow_networks.
	pc, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).Dial("tcp", in.proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	fmt.Fprintf(pc, "GET %s HTTP/1.1\r\nHost: ok.test\r\n\r\n", in.origin)
	if ok, why := closedUnanswered(pc); !ok {
		t.Fatalf("proxy connection from outside allow_networks: %s; want it closed at accept", why)
	}
	if code, body, err := proxyCurl(t, in.proxy, in.origin); err != nil || code != 200 {
		t.Fatalf("proxy from 127.0.0.1: %d %q %v", code, body, err)
	}
	metrics := fetchMetrics(t, in.admin)
	for series, want := range map[string]float64{
		`schoolgate_connections_refused_total{listener="dns",reason="per_client"}`:         1,
		`schoolgate_connections_refused_total{listener="proxy",reason="outside_networks"}`: 1,
		`schoolgate_connections_open{listener="dns"}`:                                      8,
	} {
		if v, ok := metricValue(metrics, series); !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
	// Nothing about the refused clients went to the system log.
	if strings.Contains(in.logText(), "127.0.0.2") {
		t.Errorf("the log names a refused client:\n%s", in.logText())
	}
}

// proxyCurl fetches url through the proxy at addr from 127.0.0.1.
func proxyCurl(t *testing.T, proxy, url string) (int, string, error) {
	t.Helper()
	in := &proxyInstance{proxy: proxy}
	return in.curl(t, "127.0.0.1", url)
}
