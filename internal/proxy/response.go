package proxy

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// memResponse is an http.ResponseWriter that buffers a small local answer
// (a block page, a form's reply) so the connection loop can frame it.
type memResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newMemResponse() *memResponse { return &memResponse{header: http.Header{}} }

func (m *memResponse) Header() http.Header { return m.header }

func (m *memResponse) WriteHeader(status int) {
	if m.status == 0 {
		m.status = status
	}
}

func (m *memResponse) Write(p []byte) (int, error) {
	if m.status == 0 {
		m.status = http.StatusOK
	}
	return m.body.Write(p)
}

// writeMem sends a buffered local answer and reports whether the
// connection may carry another request.
func (c *conn) writeMem(req *http.Request, m *memResponse) bool {
	if m.status == 0 {
		m.status = http.StatusOK
	}
	keep := req != nil && !req.Close
	if m.header.Get("Content-Type") == "" && m.body.Len() > 0 {
		m.header.Set("Content-Type", "text/html; charset=utf-8")
	}
	m.header.Set("Content-Length", strconv.Itoa(m.body.Len()))
	m.header.Del("Transfer-Encoding")
	if !keep {
		m.header.Set("Connection", "close")
	}
	c.writeHead(m.status, m.header)
	if req == nil || req.Method != http.MethodHead {
		c.bw.Write(m.body.Bytes())
	}
	if err := c.flush(); err != nil {
		return false
	}
	if keep {
		return c.drain(req)
	}
	return false
}

// writeSimple sends a short plain page with status and a sentence, and
// closes the connection (callers return false) unless said otherwise by
// writeMem's drain.
func (c *conn) writeSimple(req *http.Request, status int, msg string, hdr http.Header) bool {
	m := newMemResponse()
	for k, v := range hdr {
		m.header[k] = v
	}
	m.header.Set("Cache-Control", "no-store")
	m.WriteHeader(status)
	fmt.Fprintf(&m.body, "<!doctype html><meta charset=utf-8><title>%d %s</title><p>%s</p>\n", status, http.StatusText(status), html.EscapeString(msg))
	if status >= 400 && status != http.StatusProxyAuthRequired {
		req = closing(req)
	}
	return c.writeMem(req, m)
}

// closing marks a request so its answer closes the connection.
func closing(req *http.Request) *http.Request {
	if req == nil {
		return nil
	}
	r := *req
	r.Close = true
	return &r
}

func (c *conn) writeHead(status int, h http.Header) {
	c.c.SetWriteDeadline(time.Now().Add(c.set.idleTimeout))
	text := http.StatusText(status)
	if text == "" {
		text = "status"
	}
	c.bw.WriteString("HTTP/1.1 ")
	c.bw.WriteString(strconv.Itoa(status))
	c.bw.WriteByte(' ')
	c.bw.WriteString(text)
	c.bw.WriteString("\r\n")
	h.Write(c.bw)
	c.bw.WriteString("\r\n")
}

func (c *conn) flush() error {
	c.c.SetWriteDeadline(time.Now().Add(c.set.idleTimeout))
	return c.bw.Flush()
}

// hopHeaders are the hop-by-hop headers (RFC 9110 7.6.1) plus the proxy's
// own; they never cross the proxy.
var hopHeaders = [...]string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// removeHop removes the hop-by-hop headers, and those named by Connection.
// It allocates nothing: the names are split in place, and one that is a
// hop-by-hop header anyway (a browser's "keep-alive") is left to the
// second loop rather than canonicalised for Del.
func removeHop(h http.Header) {
	for _, v := range h["Connection"] {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.Trim(f, " \t"); f != "" && !isHop(f) {
				h.Del(f)
			}
		}
	}
	for _, k := range hopHeaders {
		delete(h, k)
	}
}

// isHop reports whether name is one of hopHeaders, in any case.
func isHop(name string) bool {
	for _, k := range hopHeaders {
		if strings.EqualFold(name, k) {
			return true
		}
	}
	return false
}

// writeUpstream relays a site's response: hop-by-hop headers removed, Via
// added, the body streamed with flushes whenever the site pauses. It
// reports whether the connection may carry another request.
func (c *conn) writeUpstream(req *http.Request, resp *http.Response) bool {
	keep := !req.Close && !resp.Close
	removeHop(resp.Header)
	resp.Header.Add("Via", c.s.via)
	noBody := req.Method == http.MethodHead || resp.StatusCode == http.StatusNoContent ||
		resp.StatusCode == http.StatusNotModified || resp.StatusCode < 200
	chunked := false
	switch {
	case noBody:
		if resp.ContentLength >= 0 && resp.StatusCode != http.StatusNoContent {
			resp.Header.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
		}
	case resp.ContentLength >= 0:
		resp.Header.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	case req.ProtoAtLeast(1, 1):
		chunked = true
		resp.Header.Set("Transfer-Encoding", "chunked")
	default:
		keep = false // HTTP/1.0 client, length unknown: the close ends the body
	}
	if !keep {
		resp.Header.Set("Connection", "close")
	}
	c.writeHead(resp.StatusCode, resp.Header)
	if noBody {
		return c.flush() == nil && keep
	}
	bp := c.s.bufs.Get().(*[]byte)
	defer c.s.bufs.Put(bp)
	var w io.Writer = c.bw
	var cw *chunkWriter
	if chunked {
		cw = &chunkWriter{w: c.bw}
		w = cw
	}
	var written int64
	defer func() { c.s.m.bytes[toClient].Add(float64(written)) }()
	buf := *bp
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return false
			}
			written += int64(n)
			// A short read means the site paused: pass on what we have.
			if n < len(buf) {
				if c.flush() != nil {
					return false
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			c.s.m.failed(errUpstreamCut)
			c.s.d.Log.Debug("proxy: upstream body cut", "err", errReason(rerr))
			return false
		}
	}
	if resp.ContentLength >= 0 && written != resp.ContentLength {
		c.s.m.failed(errUpstreamCut)
		return false
	}
	if cw != nil {
		c.bw.WriteString("0\r\n\r\n")
	}
	return c.flush() == nil && keep
}

// chunkWriter writes HTTP/1.1 chunked encoding.
type chunkWriter struct{ w io.Writer }

func (cw *chunkWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if _, err := fmt.Fprintf(cw.w, "%x\r\n", len(p)); err != nil {
		return 0, err
	}
	if _, err := cw.w.Write(p); err != nil {
		return 0, err
	}
	if _, err := io.WriteString(cw.w, "\r\n"); err != nil {
		return 0, err
	}
	return len(p), nil
}
