package proxy

import (
	"bufio"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const wsKey = "dGhlIHNhbXBsZSBub25jZQ=="

func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// wsOrigin answers a WebSocket handshake with 101, a greeting sent in the
// same write as the head, then echoes lines upper-cased until the client
// ends.
func wsOrigin(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || !strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade") {
		http.Error(w, "not a WebSocket handshake: "+r.Header.Get("Connection")+"/"+r.Header.Get("Upgrade"), http.StatusBadRequest)
		return
	}
	c, brw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer c.Close()
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\ngreeting\n",
		wsAccept(r.Header.Get("Sec-WebSocket-Key")))
	brw.Flush()
	for {
		line, err := brw.ReadString('\n')
		if err != nil {
			return
		}
		brw.WriteString(strings.ToUpper(line))
		brw.Flush()
	}
}

// wsHandshake sends a WebSocket handshake for target (absolute through the
// proxy, origin-form inside a tunnel) on c and checks the 101, then talks.
func wsHandshake(t *testing.T, c net.Conn, target, host string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", target, host, wsKey)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		t.Fatalf("handshake answered %d: %s", resp.StatusCode, b)
	}
	if resp.Header.Get("Sec-WebSocket-Accept") != wsAccept(wsKey) || !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") ||
		!strings.EqualFold(resp.Header.Get("Connection"), "upgrade") ||
		!strings.Contains(resp.Header.Get("Via"), "schoolgate") {
		t.Fatalf("101 headers: %v", resp.Header)
	}
	if line, err := br.ReadString('\n'); err != nil || line != "greeting\n" {
		t.Fatalf("the bytes behind the 101: %q %v", line, err)
	}
	for _, msg := range []string{"hello\n", "second message\n"} {
		io.WriteString(c, msg)
		if line, err := br.ReadString('\n'); err != nil || line != strings.ToUpper(msg) {
			t.Fatalf("echo of %q: %q %v", msg, line, err)
		}
	}
}

// TestWebSocketPlainHTTP: a WebSocket through the proxy to an allowed site
// is relayed both ways (the site's first bytes, sent with its 101, too);
// one to a blocked site gets the block page, not an upgrade.
func TestWebSocketPlainHTTP(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(wsOrigin))
	defer origin.Close()
	h := startProxy(t, harnessOpt{})
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wsHandshake(t, c, site("ok.test", origin.URL, "/ws"), "ok.test:"+port(origin.URL))
	c.Close()

	if got := h.raw(t, "", "GET "+site("bet.test", origin.URL, "/ws")+" HTTP/1.1\r\nHost: bet.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: "+wsKey+"\r\n\r\n"); !strings.Contains(got, " 403 ") {
		t.Fatalf("blocked site's WebSocket: %q", got)
	}
	var logged bool
	for _, e := range h.events.all() {
		logged = logged || e.Host == "ok.test" && strings.HasSuffix(e.URL, "/ws") && e.Verdict == "allow"
	}
	if !logged {
		t.Fatalf("the WebSocket's request is not in the activity log: %+v", h.events.all())
	}
}

// TestWebSocketInspected: inside an inspected tunnel (wss:// for a pupil)
// the upgrade is relayed through the Transport's connection.
func TestWebSocketInspected(t *testing.T) {
	origin := httptest.NewTLSServer(http.HandlerFunc(wsOrigin))
	defer origin.Close()
	trust := x509.NewCertPool()
	trust.AddCert(origin.Certificate())
	h := startProxy(t, harnessOpt{inspect: true, upstream: &tls.Config{RootCAs: trust, ServerName: "example.com"},
		proxyYAML: "  connect_ports: [443, " + port(origin.URL) + "]\n"})
	school := x509.NewCertPool()
	school.AddCert(h.ca.Certificate())
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	hostPort := "ok.test:" + port(origin.URL)
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", hostPort, hostPort)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	tc := tls.Client(c, &tls.Config{RootCAs: school, ServerName: "ok.test"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	if issuer := tc.ConnectionState().PeerCertificates[0].Issuer.CommonName; issuer != h.ca.Certificate().Subject.CommonName {
		t.Fatalf("not inspected: certificate from %q", issuer)
	}
	wsHandshake(t, tc, "/ws", hostPort)
}
