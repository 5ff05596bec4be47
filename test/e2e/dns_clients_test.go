package e2e

import (
	"strings"
	"testing"
)

// TestDNSAllowNetworks: the real binary answers dns.allow_networks only;
// a client outside it gets REFUSED (dig, over UDP and TCP), which
// /metrics counts.
func TestDNSAllowNetworks(t *testing.T) {
	in := dnsStart(t, monday10, "", func(s string) string {
		return strings.Replace(s, "  timeout: 1s\n", "  timeout: 1s\n  allow_networks: [127.0.0.2/32]\n", 1)
	})
	before, _ := metricValue(fetchMetrics(t, in.admin), `schoolgate_dns_queries_total{result="outside_networks"}`)
	for _, proto := range []string{"+notcp", "+tcp"} {
		if out := in.dig(t, "127.0.0.2", proto, "ok.test"); !strings.Contains(out, "status: NOERROR") {
			t.Errorf("listed client %s:\n%s", proto, out)
		}
		out := in.dig(t, "127.0.0.3", proto, "ok.test")
		if !strings.Contains(out, "status: REFUSED") || !strings.Contains(out, "EDE: 18 (Prohibited)") {
			t.Errorf("unlisted client %s:\n%s", proto, out)
		}
	}
	after, ok := metricValue(fetchMetrics(t, in.admin), `schoolgate_dns_queries_total{result="outside_networks"}`)
	if !ok || after-before != 2 {
		t.Errorf("outside_networks went from %v to %v, want 2 more", before, after)
	}
}
