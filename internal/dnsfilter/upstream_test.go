package dnsfilter

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"schoolgate/internal/ca"
	"schoolgate/internal/dnsfilter/dnstest"
)

// testCA makes a CA with the project's own ca package and a certificate
// it signed for 127.0.0.1; it returns that certificate and the CA file
// (what dns.upstream_ca names).
func testCA(t *testing.T, dir string) (tls.Certificate, string) {
	t.Helper()
	caDir := filepath.Join(dir, "ca")
	a, err := ca.LoadOrCreate(caDir, "test resolver", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := a.Leaf("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return *leaf, filepath.Join(caDir, ca.CertFile)
}

func TestEncryptedUpstreams(t *testing.T) {
	dir := t.TempDir()
	cert, caFile := testCA(t, dir)
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}}

	// DNS over TLS.
	ln, err := tls.Listen("tcp", "127.0.0.1:0", tlsConf)
	if err != nil {
		t.Fatal(err)
	}
	dot := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		w.WriteMsg(dnstest.Answer(r, 300))
	})}
	go dot.ActivateAndServe()
	defer dot.Shutdown()

	// DNS over HTTPS.
	doh := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		q := new(dns.Msg)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/dns-message" || q.Unpack(body) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		b, _ := dnstest.Answer(q, 300).Pack()
		w.Header().Set("Content-Type", "application/dns-message")
		w.Write(b)
	}))
	doh.TLS = tlsConf
	doh.StartTLS()
	defer doh.Close()

	for _, up := range []string{"tls://" + ln.Addr().String(), doh.URL + "/dns-query"} {
		t.Run(strings.SplitN(up, ":", 2)[0], func(t *testing.T) {
			e := startTest(t, func(s string) string {
				return onlyUpstream(s, up) + "  upstream_ca: " + caFile + "\n"
			})
			for _, name := range []string{"one.test", "two.test", "three.test"} {
				r := e.query(t, "127.0.0.3", name, dns.TypeA)
				if firstAddr(r) != dnstest.AddrFor(name) {
					t.Errorf("%s via %s: %v", name, up, r)
				}
			}
			// Without upstream_ca the certificate is not trusted: the
			// upstream is not used (certificates are verified).
			e = startTest(t, func(s string) string { return onlyUpstream(s, up) })
			if r := e.query(t, "127.0.0.3", "one.test", dns.TypeA); r.Rcode != dns.RcodeServerFailure {
				t.Errorf("via %s without upstream_ca: %v", up, r)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	e := startTest(t, nil)
	e.query(t, "127.0.0.2", "bet.test", dns.TypeA)
	e.query(t, "127.0.0.2", "m.test", dns.TypeA)
	e.query(t, "127.0.0.2", "m.test", dns.TypeA)
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "/" + l.GetValue()
			}
			if m.GetCounter().GetValue() > 0 || m.GetHistogram().GetSampleCount() > 0 {
				found[key] = true
			}
		}
	}
	for _, want := range []string{
		"schoolgate_dns_queries_total/blocked", "schoolgate_dns_queries_total/allowed",
		"schoolgate_dns_blocks_total/gambling", "schoolgate_dns_cache_hits_total",
		"schoolgate_dns_upstream_duration_seconds/" + e.up.Addr(),
	} {
		if !found[want] {
			t.Errorf("metric %s missing or zero", want)
		}
	}
}

func TestLogQueriesOff(t *testing.T) {
	e := startTest(t, func(s string) string { return s + "  log_queries: false\n" })
	e.query(t, "127.0.0.2", "bet.test", dns.TypeA)
	if ev := e.sink.last(); ev.Host != "" {
		t.Errorf("logged %+v with log_queries: false", ev)
	}
}
