package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/activity"
)

func BenchmarkCheckHead(b *testing.B) {
	head := []byte("GET http://www.example.test/some/path?q=1 HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: text/html,application/xhtml+xml\r\nAccept-Language: en-GB,en;q=0.9\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n")
	b.SetBytes(int64(len(head)))
	for b.Loop() {
		if err := CheckHead(head); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProxySmall is one keep-alive client fetching a 100-byte page
// through the proxy (decision, activity event, forwarding) versus direct.
func BenchmarkProxySmall(b *testing.B) {
	body := make([]byte, 100)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer origin.Close()
	h := startProxy(b, harnessOpt{})
	for _, mode := range []string{"direct", "proxy"} {
		b.Run(mode, func(b *testing.B) {
			c := &http.Client{Transport: &http.Transport{}}
			u := origin.URL + "/x"
			if mode == "proxy" {
				c = h.client(b, "", nil)
				_, p, _ := net.SplitHostPort(origin.Listener.Addr().String())
				u = "http://ok.test:" + p + "/x"
			}
			for b.Loop() {
				resp, err := c.Get(u)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

// wrappedConn hides *net.TCPConn, so a tunnel copies through a buffer in
// user space rather than with splice(2): the comparison below.
type wrappedConn struct{ net.Conn }

// BenchmarkTunnel moves bytes through a CONNECT tunnel to a raw TCP site:
// bulk (64 KiB writes to a site that discards them) and ping-pong (100
// bytes echoed, one round trip per op), spliced versus copied through a
// 32 KiB buffer.
func BenchmarkTunnel(b *testing.B) {
	sites := startTCPSites(b)
	sink, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	go func() {
		for {
			c, err := sink.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	_, echoPort, _ := net.SplitHostPort(sites.echo)
	_, sinkPort, _ := net.SplitHostPort(sink.Addr().String())
	for _, mode := range []string{"splice", "buffer"} {
		o := harnessOpt{proxyYAML: "  connect_ports: [" + echoPort + ", " + sinkPort + "]\n"}
		if mode == "buffer" {
			o.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
				var d net.Dialer
				c, err := d.DialContext(ctx, network, addr)
				return wrappedConn{c}, err
			}
		}
		h := startProxy(b, o)
		b.Run("bulk/"+mode, func(b *testing.B) {
			c, _, status := openTunnel(b, h.addr, "", "ok.test:"+sinkPort)
			if c == nil || !strings.Contains(status, "200") {
				b.Fatalf("tunnel: %s", status)
			}
			defer c.Close()
			c.SetDeadline(time.Time{})
			chunk := make([]byte, 64<<10)
			b.SetBytes(int64(len(chunk)))
			for b.Loop() {
				if _, err := c.Write(chunk); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("pingpong/"+mode, func(b *testing.B) {
			c, br, status := openTunnel(b, h.addr, "", "ok.test:"+echoPort)
			if c == nil || !strings.Contains(status, "200") {
				b.Fatalf("tunnel: %s", status)
			}
			defer c.Close()
			c.SetDeadline(time.Time{})
			msg := make([]byte, 100)
			got := make([]byte, 100)
			for b.Loop() {
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(br, got); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// rawOrigin is a site that answers every request on a connection with
// the same 100-byte page, allocating nothing per request, so that a
// benchmark's allocations are the proxy's.
func rawOrigin(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("s", 100))
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					for {
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 {
							break
						}
					}
					if _, err := c.Write(resp); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// rawClient sends one absolute-form GET on c and reads the answer,
// allocating nothing per request.
type rawClient struct {
	c   net.Conn
	br  *bufio.Reader
	req []byte
	buf []byte
}

func newRawClient(b *testing.B, proxyAddr, url, host string) *rawClient {
	c, err := net.Dial("tcp", proxyAddr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return &rawClient{c: c, br: bufio.NewReader(c), buf: make([]byte, 4096),
		req: []byte("GET " + url + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: Mozilla/5.0 (bench)\r\nAccept: text/html\r\nAccept-Language: en-GB\r\n\r\n")}
}

func (r *rawClient) get() error {
	if _, err := r.c.Write(r.req); err != nil {
		return err
	}
	length := -1
	for {
		line, err := r.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if len(line) > 16 && (line[0] == 'C' || line[0] == 'c') && strings.EqualFold(string(line[:15]), "Content-Length:") {
			length = 0
			for _, ch := range line[15:] {
				if ch >= '0' && ch <= '9' {
					length = length*10 + int(ch-'0')
				}
			}
		}
	}
	if length < 0 {
		return io.ErrUnexpectedEOF
	}
	_, err := io.ReadFull(r.br, r.buf[:length])
	return err
}

// BenchmarkRequestPath is the proxy's request path on its own: keep-alive
// clients sending a browser-like absolute-form GET for an allowed site,
// the decision, the activity event (to a sink that drops it), forwarding
// and relaying a 100-byte page. Client and site allocate nothing, so
// allocs/op is the proxy's. "parallel" runs one client per goroutine.
func BenchmarkRequestPath(b *testing.B) {
	site := rawOrigin(b)
	_, p, _ := net.SplitHostPort(site)
	h := startProxy(b, harnessOpt{sink: activity.Discard{}})
	url, host := "http://ok.test:"+p+"/some/page?q=1", "ok.test:"+p
	b.Run("serial", func(b *testing.B) {
		c := newRawClient(b, h.addr, url, host)
		b.ReportAllocs()
		for b.Loop() {
			if err := c.get(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			c := newRawClient(b, h.addr, url, host)
			for pb.Next() {
				if err := c.get(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
