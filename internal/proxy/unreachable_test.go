package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/dnsfilter/dnstest"
)

// TestUnreachablePages: a site the proxy cannot reach gets the school's
// page saying why in plain words, for each cause: a name the resolver
// does not know, a closed port, a site that never answers (within
// proxy.upstream_timeout), and a certificate that does not check out.
func TestUnreachablePages(t *testing.T) {
	up, err := dnstest.Start("127.0.0.1:0", 60)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	// The proxy resolves through the test resolver, which answers nx.*
	// with NXDOMAIN.
	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, up.Addr())
	}}
	dial := (&net.Dialer{Resolver: resolver}).DialContext

	// A closed port: listen, note the port, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := port("http://" + ln.Addr().String())
	ln.Close()
	// A listener that accepts and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	origin, trust := tlsOrigin(t, "secure")

	// Inspected HTTPS trusts the origin's CA but not for the name asked
	// (its certificate names example.com).
	h := startProxy(t, harnessOpt{dial: dial, inspect: true, upstream: &tls.Config{RootCAs: trust.RootCAs},
		proxyYAML: "  upstream_timeout: 1s\n  connect_ports: [443, " + port(origin.URL) + "]\n"})
	school := x509.NewCertPool()
	school.AddCert(h.ca.Certificate())
	c := h.client(t, "", &tls.Config{RootCAs: school})

	for _, tc := range []struct {
		name, url string
		status    int
		want      string
	}{
		{"name not found", "http://nx.nowhere.test/page", 502, "There is no site called nx.nowhere.test: the name was not found."},
		{"refused", "http://ok.test:" + closedPort + "/", 502, "ok.test refused the connection"},
		{"timed out", "http://ok.test:" + port("http://"+silent.Addr().String()) + "/", 504, "ok.test did not answer in time"},
		{"TLS", "https://ok.test:" + port(origin.URL) + "/", 502, "A secure connection to ok.test could not be made"},
	} {
		start := time.Now()
		resp, err := c.Get(tc.url)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(b)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) || !strings.Contains(body, "Test Primary School") {
			t.Errorf("%s: %d, want %d with %q and the school's name:\n%s", tc.name, resp.StatusCode, tc.status, tc.want, body)
		}
		// Styled like the block page: the same stylesheet and header.
		if !strings.Contains(body, "<style>") || !strings.Contains(body, "Test Primary School – internet filter") {
			t.Errorf("%s: not the school's page style:\n%s", tc.name, body)
		}
		if tc.name == "timed out" && time.Since(start) > 5*time.Second {
			t.Errorf("timeout took %v with upstream_timeout 1s", time.Since(start))
		}
	}
}
