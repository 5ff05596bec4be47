package proxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"
)

// tcpSites are raw TCP servers for tunnels: echo answers what it reads
// until the client half-closes; bye writes a line and closes first.
type tcpSites struct {
	echo, bye string
	lns       []net.Listener
	wg        sync.WaitGroup
}

func startTCPSites(t testing.TB) *tcpSites {
	t.Helper()
	s := &tcpSites{}
	serve := func(handle func(net.Conn)) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s.lns = append(s.lns, ln)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				s.wg.Add(1)
				go func() { defer s.wg.Done(); defer c.Close(); handle(c) }()
			}
		}()
		return ln.Addr().String()
	}
	s.echo = serve(func(c net.Conn) {
		io.Copy(c, c)
		c.(*net.TCPConn).CloseWrite()
	})
	s.bye = serve(func(c net.Conn) {
		io.WriteString(c, "bye\n")
	})
	t.Cleanup(func() {
		for _, ln := range s.lns {
			ln.Close()
		}
		s.wg.Wait()
	})
	return s
}

// openTunnel sends CONNECT host:port from a loopback address and reads
// the proxy's answer; it returns the connection and the status line.
func openTunnel(t testing.TB, proxyAddr, from, target string) (net.Conn, *bufio.Reader, string) {
	t.Helper()
	d := net.Dialer{Timeout: 2 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", proxyAddr)
	if err != nil {
		t.Error(err)
		return nil, nil, ""
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	br := bufio.NewReader(c)
	line, _ := br.ReadString('\n')
	for {
		l, err := br.ReadString('\n')
		if err != nil || l == "\r\n" {
			break
		}
	}
	return c, br, strings.TrimSpace(line)
}

// settleGoroutines waits for the goroutine count to fall back to at most
// want, and fails with the goroutines still running if it does not.
func settleGoroutines(t *testing.T, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	n := runtime.NumGoroutine()
	for n > want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	if n > want {
		var b bytes.Buffer
		pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Fatalf("%d goroutines, want at most %d:\n%s", n, want, b.String())
	}
}

// TestGoroutinesReturnToBaseline runs many keep-alive clients, block
// pages, bad requests, request bodies a site does not read, and tunnels
// that end every way (client first, site first, client reset, refused),
// and checks that once the clients are gone every connection's goroutines
// are too, and that the proxy tracks no connection.
func TestGoroutinesReturnToBaseline(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/early" {
			w.WriteHeader(http.StatusRequestEntityTooLarge) // answers without reading the body
			return
		}
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "hello")
	}))
	defer origin.Close()
	sites := startTCPSites(t)
	_, echoPort, _ := net.SplitHostPort(sites.echo)
	_, byePort, _ := net.SplitHostPort(sites.bye)
	h := startProxy(t, harnessOpt{proxyYAML: "  connect_ports: [443, " + echoPort + ", " + byePort + "]\n"})
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	base := runtime.NumGoroutine()

	var wg sync.WaitGroup
	var clients []*http.Client
	for i := range 24 {
		c := h.client(t, fmt.Sprintf("127.0.0.%d", 3+i%8), nil)
		clients = append(clients, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 6 {
				var resp *http.Response
				var err error
				switch j % 3 {
				case 0:
					resp, err = c.Get(site("ok.test", origin.URL, "/x"))
				case 1:
					resp, err = c.Get(site("bet.test", origin.URL, "/")) // block page
				default:
					resp, err = c.Post(site("ok.test", origin.URL, "/early"), "application/octet-stream", bytes.NewReader(make([]byte, 512<<10)))
				}
				if err != nil {
					continue // a site answering early may reset the upload
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 4 {
			case 0: // the client ends the tunnel
				c, br, status := openTunnel(t, h.addr, "", "ok.test:"+echoPort)
				if c == nil {
					return
				}
				defer c.Close()
				if !strings.Contains(status, "200") {
					t.Errorf("tunnel: %s", status)
					return
				}
				io.WriteString(c, "ping\n")
				if l, _ := br.ReadString('\n'); l != "ping\n" {
					t.Errorf("echo through the tunnel: %q", l)
				}
				c.(*net.TCPConn).CloseWrite()
				io.Copy(io.Discard, br)
			case 1: // the site ends it
				c, br, _ := openTunnel(t, h.addr, "", "ok.test:"+byePort)
				if c == nil {
					return
				}
				defer c.Close()
				if b, _ := io.ReadAll(br); string(b) != "bye\n" {
					t.Errorf("from the site: %q", b)
				}
			case 2: // the client resets mid-way
				c, _, _ := openTunnel(t, h.addr, "", "ok.test:"+echoPort)
				if c == nil {
					return
				}
				io.WriteString(c, "half a message")
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			default: // refused
				c, _, status := openTunnel(t, h.addr, "", "bet.test:"+echoPort)
				if c == nil {
					return
				}
				c.Close()
				if !strings.Contains(status, "403") {
					t.Errorf("blocked tunnel: %s", status)
				}
			}
		}()
	}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.raw(t, "", "GET http://ok.test/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
			h.raw(t, "", "NOT A REQUEST\r\n\r\n")
		}()
	}
	wg.Wait()
	for _, c := range clients {
		c.Transport.(*http.Transport).CloseIdleConnections()
	}
	h.srv.transport.CloseIdleConnections() // idle connections to sites are reused, not leaked
	settleGoroutines(t, base, 5*time.Second)
	h.srv.mu.Lock()
	n := len(h.srv.conns)
	h.srv.mu.Unlock()
	if n != 0 {
		t.Errorf("%d connections still tracked", n)
	}
}
