package proxy

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
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
