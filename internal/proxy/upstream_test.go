package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// scriptedSite is a raw HTTP/1.1 site: for every request head it reads
// (and a Content-Length body) it calls answer, which writes the response
// and says whether to keep the connection. It counts connections.
type scriptedSite struct {
	addr  string
	conns atomic.Int32
}

func startScriptedSite(t *testing.T, answer func(c net.Conn, head string, n int) bool) *scriptedSite {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scriptedSite{addr: ln.Addr().String()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for n := 1; ; n++ {
					var head strings.Builder
					length := 0
					for {
						line, err := br.ReadString('\n')
						if err != nil {
							return
						}
						if line == "\r\n" {
							break
						}
						head.WriteString(line)
						if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
							length = atoiOr0(strings.TrimSpace(v))
						}
					}
					if _, err := io.CopyN(io.Discard, br, int64(length)); err != nil {
						return
					}
					if !answer(c, head.String(), n) {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return s
}

func atoiOr0(s string) int {
	n := 0
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return 0
		}
		n = n*10 + int(ch-'0')
	}
	return n
}

func okAnswer(c net.Conn, body string) {
	io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+itoa(len(body))+"\r\n\r\n"+body)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func fetch(t *testing.T, c *http.Client, method, u, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if body == "" {
		req.Body = nil
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSiteConnectionKept: one client's requests to a site share one
// connection to it; another site gets its own.
func TestSiteConnectionKept(t *testing.T) {
	a := startScriptedSite(t, func(c net.Conn, head string, n int) bool { okAnswer(c, "a"+itoa(n)); return true })
	b := startScriptedSite(t, func(c net.Conn, head string, n int) bool { okAnswer(c, "b"+itoa(n)); return true })
	h := startProxy(t, harnessOpt{})
	c := h.client(t, "", nil)
	for i := 1; i <= 4; i++ {
		if code, body := fetch(t, c, "GET", "http://ok.test:"+port("http://"+a.addr)+"/", ""); code != 200 || body != "a"+itoa(i) {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
	}
	if code, body := fetch(t, c, "GET", "http://ok.test:"+port("http://"+b.addr)+"/", ""); code != 200 || body != "b1" {
		t.Fatalf("other site: %d %q", code, body)
	}
	if code, _ := fetch(t, c, "POST", "http://ok.test:"+port("http://"+a.addr)+"/", "form=1"); code != 200 {
		t.Fatalf("post: %d", code)
	}
	if n := a.conns.Load(); n > 2 {
		t.Errorf("site a saw %d connections for one client", n)
	}
}

// TestSiteClosedIdleConnection: a site that closes a kept connection
// (its keep-alive timeout) costs the client nothing, for a GET (sent
// again) and for a POST (a new connection is opened first).
func TestSiteClosedIdleConnection(t *testing.T) {
	s := startScriptedSite(t, func(c net.Conn, head string, n int) bool {
		okAnswer(c, "fine")
		return false // close right after every answer, without saying so
	})
	h := startProxy(t, harnessOpt{})
	c := h.client(t, "", nil)
	u := "http://ok.test:" + port("http://"+s.addr) + "/"
	for i := range 3 {
		if code, body := fetch(t, c, "GET", u, ""); code != 200 || body != "fine" {
			t.Fatalf("GET %d: %d %q", i, code, body)
		}
		time.Sleep(20 * time.Millisecond)
		if code, body := fetch(t, c, "POST", u, "a=1"); code != 200 || body != "fine" {
			t.Fatalf("POST %d: %d %q", i, code, body)
		}
	}
}

// TestSiteAnswers: informational answers are skipped, a body delimited by
// the site closing reaches the client whole, and a site that never
// answers gets 504 after proxy.upstream_timeout.
func TestSiteAnswers(t *testing.T) {
	s := startScriptedSite(t, func(c net.Conn, head string, n int) bool {
		switch {
		case strings.Contains(head, "/hints"):
			io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
			okAnswer(c, "after hints")
			return true
		case strings.Contains(head, "/eof"):
			io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\nuntil the end")
			return false
		case strings.Contains(head, "/silent"):
			time.Sleep(2 * time.Second)
			return false
		}
		okAnswer(c, "plain")
		return true
	})
	h := startProxy(t, harnessOpt{proxyYAML: "  upstream_timeout: 300ms\n"})
	c := h.client(t, "", nil)
	base := "http://ok.test:" + port("http://"+s.addr)
	if code, body := fetch(t, c, "GET", base+"/hints", ""); code != 200 || body != "after hints" {
		t.Errorf("103 then 200: %d %q", code, body)
	}
	if code, body := fetch(t, c, "GET", base+"/eof", ""); code != 200 || body != "until the end" {
		t.Errorf("close-delimited body: %d %q", code, body)
	}
	if code, body := fetch(t, c, "GET", base+"/", ""); code != 200 || body != "plain" {
		t.Errorf("after a close-delimited body: %d %q", code, body)
	}
	start := time.Now()
	if code, _ := fetch(t, c, "GET", base+"/silent", ""); code != http.StatusGatewayTimeout {
		t.Errorf("silent site: %d, want 504", code)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("504 after %s (upstream_timeout 300ms)", d)
	}
}

// TestClientLeavesMidBody: a client that goes away in the middle of a
// long chunked body ends that site connection without draining it, and
// the proxy carries on serving.
func TestClientLeavesMidBody(t *testing.T) {
	chunk := strings.Repeat("x", 32<<10)
	s := startScriptedSite(t, func(c net.Conn, head string, n int) bool {
		if strings.Contains(head, "/long") {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
			for range 2000 { // 64 MiB, far more than the client reads
				if _, err := io.WriteString(c, "8000\r\n"+chunk+"\r\n"); err != nil {
					return false
				}
			}
			io.WriteString(c, "0\r\n\r\n")
			return true
		}
		okAnswer(c, "short")
		return true
	})
	h := startProxy(t, harnessOpt{})
	base := "http://ok.test:" + port("http://"+s.addr)
	for range 4 {
		c, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "GET "+base+"/long HTTP/1.1\r\nHost: ok.test\r\n\r\n")
		io.ReadFull(c, make([]byte, 100<<10))
		c.Close()
	}
	c := h.client(t, "", nil)
	start := time.Now()
	for range 3 {
		if code, body := fetch(t, c, "GET", base+"/", ""); code != 200 || body != "short" {
			t.Fatalf("after clients left mid-body: %d %q", code, body)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("serving took %s after clients left mid-body", d)
	}
}
