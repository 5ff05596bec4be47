package dnsfilter

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"schoolgate/internal/dnsfilter/dnstest"
)

// selfSigned makes a certificate for 127.0.0.1 and writes it as a PEM CA
// file.
func selfSigned(t *testing.T, dir string) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test resolver"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		BasicConstraintsValid: true,
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, path
}

func TestEncryptedUpstreams(t *testing.T) {
	dir := t.TempDir()
	cert, caFile := selfSigned(t, dir)
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
				i := strings.Index(s, "  upstreams: [")
				j := strings.Index(s[i:], "]\n")
				return s[:i] + "  upstreams: [\"" + up + "\"]\n  upstream_ca: " + caFile + "\n" + s[i+j+2:]
			})
			for _, name := range []string{"one.test", "two.test", "three.test"} {
				r := e.query(t, "127.0.0.3", name, dns.TypeA)
				if firstAddr(r) != dnstest.AddrFor(name) {
					t.Errorf("%s via %s: %v", name, up, r)
				}
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
