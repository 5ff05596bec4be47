package proxy

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metricValue returns the value of the sample of name whose labels
// include want (a counter's or gauge's value, a histogram's count).
func metricValue(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			n := 0
			for _, l := range m.GetLabel() {
				if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
					n++
				}
			}
			if n != len(want) {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	t.Fatalf("no metric %s%v", name, want)
	return 0
}

// TestMetrics checks every family on a registry: decisions by point and
// verdict, errors by kind, bytes, the latency histogram, and the gauges
// of open connections and tunnels going up while in use and back to 0.
func TestMetrics(t *testing.T) {
	body := strings.Repeat("b", 1000)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, body)
	}))
	defer origin.Close()
	sites := startTCPSites(t)
	_, echoPort, _ := net.SplitHostPort(sites.echo)
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://ok.test:" + port("http://"+dead.Addr().String()) + "/"
	dead.Close() // nothing listens there now: the site is unreachable

	reg := prometheus.NewRegistry()
	h := startProxy(t, harnessOpt{proxyYAML: "  connect_ports: [443, " + echoPort + "]\n", registerer: reg})
	c := h.client(t, "", nil)
	get := func(u string) int {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	get(site("ok.test", origin.URL, "/a"))
	get(site("ok.test", origin.URL, "/b"))
	resp, err := c.Post(site("ok.test", origin.URL, "/up"), "text/plain", strings.NewReader(strings.Repeat("u", 500)))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	get(site("bet.test", origin.URL, "/"))
	get(site("game.test", origin.URL, "/"))
	if code := get(deadURL); code != http.StatusBadGateway {
		t.Errorf("unreachable site: %d", code)
	}
	h.raw(t, "", "GET http://ok.test/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
	h.raw(t, "", "CONNECT ok.test:25 HTTP/1.1\r\nHost: ok.test:25\r\n\r\n")
	h.raw(t, "", "CONNECT bet.test:443 HTTP/1.1\r\nHost: bet.test:443\r\n\r\n")

	tc, br, status := openTunnel(t, h.addr, "", "ok.test:"+echoPort)
	if tc == nil || !strings.Contains(status, "200") {
		t.Fatalf("tunnel: %s", status)
	}
	io.WriteString(tc, "0123456789\n")
	br.ReadString('\n')
	if n := metricValue(t, reg, "schoolgate_proxy_tunnels", map[string]string{"mode": "spliced"}); n != 1 {
		t.Errorf("open tunnels %v, want 1", n)
	}
	if n := metricValue(t, reg, "schoolgate_proxy_connections", nil); n < 1 {
		t.Errorf("open connections %v while a tunnel is open", n)
	}
	tc.Close()

	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"schoolgate_proxy_requests_total", map[string]string{"point": "http", "verdict": "allow"}, 4},
		{"schoolgate_proxy_requests_total", map[string]string{"point": "http", "verdict": "block"}, 1},
		{"schoolgate_proxy_requests_total", map[string]string{"point": "http", "verdict": "warn"}, 1},
		{"schoolgate_proxy_requests_total", map[string]string{"point": "connect", "verdict": "allow"}, 1},
		{"schoolgate_proxy_requests_total", map[string]string{"point": "connect", "verdict": "block"}, 1},
		{"schoolgate_proxy_requests_total", map[string]string{"point": "https", "verdict": "allow"}, 0},
		{"schoolgate_proxy_errors_total", map[string]string{"kind": "bad_request"}, 1},
		{"schoolgate_proxy_errors_total", map[string]string{"kind": "connect_port"}, 1},
		{"schoolgate_proxy_errors_total", map[string]string{"kind": "upstream_unreachable"}, 1},
		{"schoolgate_proxy_errors_total", map[string]string{"kind": "upstream_timeout"}, 0},
		// The refused head is not a request; a duration is observed just
		// after the answer is sent, so the last may lag the client.
		{"schoolgate_proxy_request_duration_seconds", map[string]string{"point": "http"}, 6},
	} {
		got := metricValue(t, reg, tt.name, tt.labels)
		for wait := time.Now().Add(2 * time.Second); got != tt.want && time.Now().Before(wait); {
			time.Sleep(5 * time.Millisecond)
			got = metricValue(t, reg, tt.name, tt.labels)
		}
		if got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	// Bytes: three 1000-byte bodies and the echo to clients; the upload
	// and the echoed line to sites. Tunnel bytes are added when the
	// tunnel ends.
	deadline := time.Now().Add(3 * time.Second)
	for {
		down := metricValue(t, reg, "schoolgate_proxy_bytes_total", map[string]string{"direction": "to_client"})
		up := metricValue(t, reg, "schoolgate_proxy_bytes_total", map[string]string{"direction": "to_site"})
		if down == 3000+11 && up == 500+11 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bytes to clients %v (want 3011), to sites %v (want 511)", down, up)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.Transport.(*http.Transport).CloseIdleConnections()
	for metricValue(t, reg, "schoolgate_proxy_connections", nil) != 0 || metricValue(t, reg, "schoolgate_proxy_tunnels", map[string]string{"mode": "spliced"}) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("connection or tunnel gauges did not return to 0")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
