package e2e

import (
	"strings"
	"testing"
)

// TestProxyMetrics: the real binary's admin listener exports the proxy's
// metrics after curl's requests: decisions by point and verdict, errors
// by kind, bytes, latency, and no tunnel left open.
func TestProxyMetrics(t *testing.T) {
	o := proxyStartOrigins(t)
	in := proxyStart(t, "  connect_ports: [443, "+o.https+"]\n", "")
	if in.admin == "" {
		t.Fatalf("no admin address in the log:\n%s", in.logText())
	}
	in.curl(t, "127.0.0.2", "http://ok.test:"+o.http+"/a")
	in.curl(t, "127.0.0.2", "http://bet.test:"+o.http+"/")
	in.curl(t, "127.0.0.2", "--cacert", o.caFile, "https://ok.test:"+o.https+"/s")
	in.curl(t, "127.0.0.2", "--cacert", o.caFile, "https://ok.test:25/")
	body := fetchMetrics(t, in.admin)
	for _, want := range []string{
		`schoolgate_proxy_requests_total{point="http",verdict="allow"} 1`,
		`schoolgate_proxy_requests_total{point="http",verdict="block"} 1`,
		`schoolgate_proxy_requests_total{point="connect",verdict="allow"} 1`,
		`schoolgate_proxy_errors_total{kind="connect_port"} 1`,
		`schoolgate_proxy_request_duration_seconds_count{point="http"} 2`,
		`schoolgate_proxy_tunnels{mode="spliced"} 0`,
		`schoolgate_proxy_bytes_total{direction="to_client"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", grepLines(body, "schoolgate_proxy_"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
