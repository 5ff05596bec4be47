package proxy

import (
	"crypto/sha256"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/netguard"
)

// guardedProxy starts a proxy behind a netguard that asks the proxy's
// Allowed at accept, as serve runs it.
func guardedProxy(t *testing.T, proxyYAML string, limits netguard.Limits) (*harness, *netguard.Guard) {
	var g *netguard.Guard
	h := startProxy(t, harnessOpt{proxyYAML: proxyYAML, listener: func(srv *Server, ln net.Listener) net.Listener {
		var err error
		g, err = netguard.New(netguard.Options{Name: "proxy", Limits: limits, Allow: srv.Allowed})
		if err != nil {
			t.Fatal(err)
		}
		return g.Wrap(ln)
	}})
	return h, g
}

// TestGuardRefusesOutsideNetworksAtAccept: a client outside
// proxy.allow_networks is closed without an answer (not even the 403 an
// unguarded listener gives), and a reload that adds its network lets it
// in.
func TestGuardRefusesOutsideNetworksAtAccept(t *testing.T) {
	allow := "  allow_networks: [127.0.0.1/32]\n"
	h, _ := guardedProxy(t, allow, netguard.Limits{})
	req := "GET http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\n\r\n"
	if line := h.raw(t, "127.0.0.9", req); line != "" {
		t.Fatalf("outside allow_networks: got %q, want the connection closed unanswered", line)
	}
	if line := h.raw(t, "127.0.0.1", "CONNECT ok.test:22 HTTP/1.1\r\nHost: ok.test:22\r\n\r\n"); !strings.HasPrefix(line, "HTTP/1.1 403") {
		t.Fatalf("inside allow_networks: got %q, want the proxy's own 403 for port 22", line)
	}
	p := filepath.Join(h.dir, "policy.yaml")
	y, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(y), allow, "  allow_networks: [127.0.0.1/32, 127.0.0.9/32]\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := h.engine.Reload(); err != nil {
		t.Fatal(err)
	}
	if line := h.raw(t, "127.0.0.9", "CONNECT ok.test:22 HTTP/1.1\r\nHost: ok.test:22\r\n\r\n"); !strings.HasPrefix(line, "HTTP/1.1 403") {
		t.Fatalf("after the reload allowed 127.0.0.9: got %q, want the proxy's own 403 for port 22", line)
	}
}

// TestGuardedTunnel: a tunnel through the guarded listener carries its
// bytes and its half-close (the guard's connection wraps the client's),
// and its place is given back when it ends.
func TestGuardedTunnel(t *testing.T) {
	sites := startTCPSites(t)
	_, echoPort, _ := net.SplitHostPort(sites.echo)
	h, g := guardedProxy(t, "  connect_ports: [443, "+echoPort+"]\n", netguard.Limits{PerClient: 1})
	c, br, status := openTunnel(t, h.addr, "", "ok.test:"+echoPort)
	if c == nil || !strings.Contains(status, "200") {
		t.Fatalf("tunnel: %s", status)
	}
	// A second connection from the same address is over per_client 1.
	if line := h.raw(t, "", "GET http://ok.test/ HTTP/1.1\r\nHost: ok.test\r\n\r\n"); line != "" {
		t.Fatalf("second connection over per_client 1: got %q, want it closed", line)
	}
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	go func() {
		c.Write(data)
		c.(*net.TCPConn).CloseWrite()
	}()
	hash := sha256.New()
	n, err := io.Copy(hash, br)
	if err != nil || n != int64(len(data)) || [32]byte(hash.Sum(nil)) != sha256.Sum256(data) {
		t.Fatalf("echoed %d of %d bytes intact: %v (err %v)", n, len(data), [32]byte(hash.Sum(nil)) == sha256.Sum256(data), err)
	}
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for g.Open() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still counted after the tunnel ended", g.Open())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if c, _, status := openTunnel(t, h.addr, "", "ok.test:"+echoPort); c == nil || !strings.Contains(status, "200") {
		t.Fatalf("new tunnel after the first ended: %q", status)
	} else {
		c.Close()
	}
}
