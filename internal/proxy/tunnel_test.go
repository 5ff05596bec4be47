package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// tunnelProxy starts a proxy whose tunnels may reach the test sites, with
// a short idle timeout.
func tunnelProxy(t *testing.T, idle string, ports ...string) *harness {
	return startProxy(t, harnessOpt{proxyYAML: "  connect_ports: [443, " + strings.Join(ports, ", ") + "]\n  idle_timeout: " + idle + "\n"})
}

// TestTunnelCarriesBytesIntact streams 8 MiB each way through a tunnel
// for longer than the idle timeout (the copy's deadline is renewed while
// bytes move, and no byte is lost at a renewal).
func TestTunnelCarriesBytesIntact(t *testing.T) {
	sites := startTCPSites(t)
	_, echoPort, _ := net.SplitHostPort(sites.echo)
	h := tunnelProxy(t, "400ms", echoPort)
	data := make([]byte, 8<<20)
	for i := range data {
		data[i] = byte(rand.Uint32())
	}
	want := sha256.Sum256(data)
	c, br, status := openTunnel(t, h.addr, "", "ok.test:"+echoPort)
	if c == nil || !strings.Contains(status, "200") {
		t.Fatalf("tunnel: %s", status)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	var got [32]byte
	var n int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		hash := sha256.New()
		n, _ = io.Copy(hash, br)
		copy(got[:], hash.Sum(nil))
	}()
	start := time.Now()
	for off := 0; off < len(data); off += 256 << 10 {
		if _, err := c.Write(data[off : off+256<<10]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond) // about a second in all: longer than the idle timeout
	}
	c.(*net.TCPConn).CloseWrite()
	<-done
	if n != int64(len(data)) || got != want {
		t.Fatalf("echoed %d bytes (want %d), same bytes: %v", n, len(data), got == want)
	}
	if time.Since(start) < 400*time.Millisecond {
		t.Errorf("the transfer took %s, not longer than the idle timeout", time.Since(start))
	}
}

// TestTunnelIdleTimeout: a tunnel that keeps talking stays open past the
// idle timeout; one that falls silent is closed within twice of it.
func TestTunnelIdleTimeout(t *testing.T) {
	sites := startTCPSites(t)
	_, echoPort, _ := net.SplitHostPort(sites.echo)
	const idle = 300 * time.Millisecond
	h := tunnelProxy(t, "300ms", echoPort)
	c, br, status := openTunnel(t, h.addr, "", "ok.test:"+echoPort)
	if c == nil || !strings.Contains(status, "200") {
		t.Fatalf("tunnel: %s", status)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1)
	var silent time.Time
	for i := range 8 { // 8 × 100 ms: well past the idle timeout
		if i > 0 {
			time.Sleep(idle / 3)
		}
		c.Write([]byte{'x'})
		if _, err := io.ReadFull(br, buf); err != nil {
			t.Fatalf("tunnel closed while in use: %v", err)
		}
		silent = time.Now()
	}
	_, err := br.ReadByte()
	waited := time.Since(silent)
	if err == nil {
		t.Fatal("read a byte from a silent tunnel")
	}
	if waited < idle || waited > 2*idle+time.Second {
		t.Errorf("silent tunnel closed after %s (idle timeout %s)", waited, idle)
	}
}

// TestTunnelStuckClient: a client that stops reading while the site keeps
// sending does not hold the tunnel (and the site) forever.
func TestTunnelStuckClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ended := make(chan time.Duration, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		start := time.Now()
		c.SetWriteDeadline(start.Add(20 * time.Second))
		chunk := bytes.Repeat([]byte("flood "), 10000)
		for {
			if _, err := c.Write(chunk); err != nil {
				break
			}
		}
		ended <- time.Since(start)
	}()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	h := tunnelProxy(t, "300ms", p)
	c, _, status := openTunnel(t, h.addr, "", "ok.test:"+p)
	if c == nil || !strings.Contains(status, "200") {
		t.Fatalf("tunnel: %s", status)
	}
	defer c.Close()
	select {
	case d := <-ended:
		if d > 5*time.Second {
			t.Errorf("the site was held %s by a client that reads nothing", d)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("a client that reads nothing holds its tunnel open")
	}
}

// TestShutdownEndsTunnels: a silent tunnel does not hold Shutdown past its
// context, and leaves no goroutine behind.
func TestShutdownEndsTunnels(t *testing.T) {
	sites := startTCPSites(t)
	_, echoPort, _ := net.SplitHostPort(sites.echo)
	h := tunnelProxy(t, "1m", echoPort)
	runtime.GC()
	base := runtime.NumGoroutine()
	var conns []net.Conn
	for range 4 {
		c, _, status := openTunnel(t, h.addr, "", "ok.test:"+echoPort)
		if c == nil || !strings.Contains(status, "200") {
			t.Fatalf("tunnel: %s", status)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	h.srv.Shutdown(ctx)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown took %s with silent tunnels", d)
	}
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			if _, err := c.Read(make([]byte, 1)); err == nil {
				t.Error("tunnel still open after shutdown")
			}
			c.Close()
		}()
	}
	wg.Wait()
	settleGoroutines(t, base, 3*time.Second)
}
