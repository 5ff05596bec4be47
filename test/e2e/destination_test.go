package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestProxyDoesNotReachTheMachine: with only 127.0.0.2 exempt (where the
// site runs), the real binary's own admin listener (/metrics), block page
// and proxy port, and cloud metadata, are refused with 403 through the
// proxy however they are written, for HTTP and CONNECT; /metrics counts
// the refusals and the admin listener serves no profiles by default.
func TestProxyDoesNotReachTheMachine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "site on 127.0.0.2")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	in := proxyStart(t, "  allow_destinations: [127.0.0.2/32]\n", "")
	if in.admin == "" {
		t.Fatal("no admin address in the log")
	}

	code, body, err := in.curl(t, "127.0.0.2", "http://"+ln.Addr().String()+"/")
	if code != 200 || body != "site on 127.0.0.2" {
		t.Fatalf("exempt site: %d %q %v", code, body, err)
	}
	_, adminPort, _ := net.SplitHostPort(in.admin)
	_, pagePort, _ := net.SplitHostPort(in.page)
	_, proxyPort, _ := net.SplitHostPort(in.proxy)
	for _, u := range []string{
		"http://" + in.admin + "/metrics",
		"http://localhost:" + adminPort + "/metrics",
		"http://ok.test:" + adminPort + "/metrics", // proxy.hosts → 127.0.0.1
		"http://0.0.0.0:" + adminPort + "/metrics",
		"http://[::ffff:127.0.0.1]:" + adminPort + "/metrics",
		"http://127.0.0.1:" + pagePort + "/wpad.dat",
		"http://127.0.0.1:" + proxyPort + "/proxy.pac",
		"http://169.254.169.254/latest/meta-data/",
	} {
		code, body, _ := in.curl(t, "127.0.0.2", u)
		if code != 403 || strings.Contains(body, "schoolgate_") || !strings.Contains(body, "reference SG-") {
			t.Errorf("%s: %d\n%s", u, code, body)
		}
	}
	// CONNECT to the machine: 403 before any tunnel (nothing listens on
	// 443 here, so a 502 would mean the proxy tried).
	for _, target := range []string{"127.0.0.1:443", "localhost:443", "[::1]:443"} {
		if line := rawConnect(t, in.proxy, target); !strings.HasPrefix(line, "HTTP/1.1 403") {
			t.Errorf("CONNECT %s: %q, want 403", target, line)
		}
	}
	m := fetchMetrics(t, in.admin)
	if v, ok := metricValue(m, `schoolgate_proxy_errors_total{kind="destination_refused"}`); !ok || v != 11 {
		t.Errorf("destination_refused = %v (%v), want 11", v, ok)
	}
	resp, err := http.Get("http://" + in.admin + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("pprof without admin.pprof: %d, want 404", resp.StatusCode)
	}
}

// rawConnect sends a CONNECT for target to the proxy and returns the
// status line of its answer.
func rawConnect(t *testing.T, proxy, target string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", proxy, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}
