package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"testing"
)

// FuzzCheckHead feeds arbitrary heads to the proxy's own validation and
// then to net/http's parser, as the proxy does: neither may panic, and a
// head CheckHead accepts must frame its body unambiguously.
func FuzzCheckHead(f *testing.F) {
	for _, s := range []string{
		"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n",
		"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n\r\n",
		"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		"CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"GET http://a.test/ HTTP/1.1\nHost: a\n\n",
		"GET http://a.test/ HTTP/1.1\r\nHost: a\r\n x\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end := headEnd(b)
		if end < 0 {
			return
		}
		head := b[:end]
		err := CheckHead(head)
		var he *HeadError
		if err != nil && (!errors.As(err, &he) || he.Status < 400 || he.Status > 599) {
			t.Fatalf("error without a 4xx/5xx status: %v", err)
		}
		req, perr := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil || perr != nil {
			return
		}
		if len(req.Header.Values("Content-Length")) > 1 || (req.ContentLength > 0 && len(req.TransferEncoding) > 0) {
			t.Fatalf("ambiguous framing accepted: %q", head)
		}
	})
}

// FuzzTargets fuzzes the CONNECT authority and absolute-form checks.
func FuzzTargets(f *testing.F) {
	for _, s := range []string{"a.test:443", "[::1]:443", "127.0.0.1:8443", "a.test", ":443", "a.test:99999", "[fe80::1%eth0]:443", "http://a.test:80/x?y", "http://u:p@a/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if h, p, err := parseAuthority(s); err == nil && (h == "" || p < 1 || p > 65535) {
			t.Fatalf("accepted %q as %q %d", s, h, p)
		}
		if u, err := url.Parse(s); err == nil {
			if checkAbsolute(u) == nil && (u.Scheme != "http" || u.Hostname() == "" || u.User != nil) {
				t.Fatalf("accepted %q", s)
			}
		}
	})
}
