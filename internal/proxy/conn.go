package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"schoolgate/internal/proxy/pages"
)

// conn is one client connection: the proxy's own, or the decrypted inner
// side of an inspected CONNECT tunnel (tunnel set).
type conn struct {
	s      *Server
	c      net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	client netip.Addr
	remote string // the client's address, for http.Request.RemoteAddr
	set    *settings
	idle   *atomic.Bool // waiting for a request (shared with an inspected tunnel's inner side)
	tunnel *tunnel
	body   *idleReader // the current request's body, if it has one
	up     *upstream   // the site connection kept for plain HTTP
	r      request     // the current request's state in the chain
}

// tunnel is what an inspected connection knows from its CONNECT: the site
// and who asked.
type tunnel struct {
	host string // canonical host name (SNI for an IP-literal CONNECT)
	port int
	addr string // host:port to dial
	v    pages.Visitor
}

// errQuiet ends a connection without an answer: the client went away, or
// stayed silent past the idle timeout.
var errQuiet = errors.New("connection closed")

func (c *conn) serve() {
	c.br = c.s.getReader(c.c, c.set.maxHeader)
	defer func() {
		c.closeUp()
		c.c.Close()
		// A request body may still be read by the transport's writer
		// (a site that answered before reading it): closing the
		// connection ends that read, and the reader is pooled only after.
		if c.body != nil {
			c.body.wait()
		}
		c.s.putReader(c.br)
	}()
	c.bw = c.s.writers.Get().(*bufio.Writer)
	c.bw.Reset(c.c)
	defer func() { c.bw.Reset(nil); c.s.writers.Put(c.bw) }()
	for {
		req, err := c.readRequest()
		if err != nil {
			c.refuseHead(err)
			return
		}
		start := time.Now()
		keep := c.handle(req)
		if req.Method != http.MethodConnect {
			c.s.m.latency[c.point()].Observe(time.Since(start).Seconds())
		}
		if !keep || c.s.isClosing() {
			return
		}
	}
}

// getReader returns a pooled reader of exactly size bytes (the head must
// fit in it, so a reader of another size, left from before a reload that
// changed proxy.max_header_bytes, is dropped rather than reused).
func (s *Server) getReader(r io.Reader, size int) *bufio.Reader {
	for range 2 {
		br, ok := s.readers.Get().(*bufio.Reader)
		if !ok {
			break
		}
		if br.Size() == size {
			br.Reset(r)
			return br
		}
	}
	return bufio.NewReaderSize(r, size)
}

// putReader returns br to the pool, holding no connection.
func (s *Server) putReader(br *bufio.Reader) {
	br.Reset(nil)
	s.readers.Put(br)
}

// readRequest reads one request head within the header timeout and checks
// it before net/http parses it.
func (c *conn) readRequest() (*http.Request, error) {
	c.idle.Store(true)
	if c.s.isClosing() {
		return nil, errQuiet
	}
	c.c.SetReadDeadline(time.Now().Add(c.set.idleTimeout))
	if _, err := c.br.Peek(1); err != nil {
		c.idle.Store(false)
		return nil, errQuiet
	}
	c.idle.Store(false)
	c.c.SetReadDeadline(time.Now().Add(c.set.headerTimeout))
	var head []byte
	for {
		n := c.br.Buffered()
		b, _ := c.br.Peek(n)
		if end := headEnd(b); end >= 0 {
			head = b[:end]
			break
		}
		if bytes.Contains(b, []byte("\n\n")) {
			return nil, headErr(400, "header lines end in bare LF")
		}
		if n >= c.set.maxHeader {
			return nil, headErr(http.StatusRequestHeaderFieldsTooLarge, "request head larger than %d bytes", c.set.maxHeader)
		}
		if _, err := c.br.Peek(n + 1); err != nil {
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				return nil, headErr(http.StatusRequestTimeout, "request head not received within %s", c.set.headerTimeout)
			case errors.Is(err, bufio.ErrBufferFull):
				return nil, headErr(http.StatusRequestHeaderFieldsTooLarge, "request head larger than %d bytes", c.set.maxHeader)
			case n > 0:
				return nil, headErr(400, "connection closed inside the request head")
			}
			return nil, errQuiet
		}
	}
	if err := CheckHead(head); err != nil {
		return nil, err
	}
	req, err := http.ReadRequest(c.br)
	if err != nil {
		return nil, headErr(400, "%s", strings.TrimPrefix(err.Error(), "http: "))
	}
	req.RemoteAddr = c.remote
	c.c.SetReadDeadline(time.Time{})
	c.body = nil
	if req.Body != http.NoBody && req.Body != nil {
		c.body = &idleReader{r: req.Body, c: c.c, d: c.set.idleTimeout}
		req.Body = c.body
	}
	return req, nil
}

// refuseHead answers a head that could not be read or was refused, logs
// it, and lets serve close the connection.
func (c *conn) refuseHead(err error) {
	var he *HeadError
	if !errors.As(err, &he) {
		return
	}
	c.s.m.failed(errBadRequest)
	// net/http quotes the offending line, which may hold a URL: the
	// system log keeps the words before it.
	reason, _, _ := strings.Cut(he.Reason, `"`)
	c.s.d.Log.Warn("proxy: bad request", "status", he.Status, "reason", strings.TrimSpace(reason))
	c.writeSimple(nil, he.Status, he.Reason, nil)
}

// handle answers one request and reports whether the connection may carry
// another. It runs the request through the chain (server.go) for its
// method; a chain that ends without an answer closes the connection, so
// nothing unanswered is ever forwarded.
func (c *conn) handle(req *http.Request) bool {
	chain := c.s.chain
	if req.Method == http.MethodConnect {
		chain = c.s.connectChain
	}
	c.r = request{req: req}
	r, keep := &c.r, false
	for i := range chain {
		if chain[i].run(c, r) == done {
			keep = r.keep
			break
		}
	}
	c.r = request{} // an idle connection holds no request, snapshot or event
	return keep
}

// answered ends a chain with keep as its answer.
func (r *request) answered(keep bool) action {
	r.keep = keep
	return done
}

// stageAllowNetworks refuses clients outside proxy.allow_networks.
func stageAllowNetworks(c *conn, r *request) action {
	if c.set.allowed(c.client) {
		return next
	}
	c.s.m.failed(errOutsideNetworks)
	// A pupil's address is not for the system log; the metric counts these.
	c.s.d.Log.Warn("proxy: refused a client outside allow_networks (see schoolgate_proxy_errors_total)")
	c.writeSimple(r.req, http.StatusForbidden, "This proxy serves the school's networks only.", nil)
	return r.answered(false)
}

// stageLocal answers origin-form requests outside a tunnel: they are made
// to the proxy itself (local).
func stageLocal(c *conn, r *request) action {
	if c.tunnel != nil || r.req.URL.IsAbs() {
		return next
	}
	return r.answered(c.local(r.req))
}

// stageTarget makes an inspected tunnel's request an https:// URL for
// the tunnel's site (inTunnel), and checks an absolute URL's host.
func stageTarget(c *conn, r *request) action {
	if c.tunnel != nil {
		if !c.inTunnel(r.req) {
			return r.answered(false)
		}
		return next
	}
	if err := checkAbsolute(r.req.URL); err != nil {
		c.refuseHead(err)
		return r.answered(false)
	}
	return next
}

// inTunnel turns an origin-form request read inside an inspected tunnel
// into its https:// URL. A Host naming another site than the tunnel's is
// refused (domain fronting past the decision).
func (c *conn) inTunnel(req *http.Request) bool {
	if req.URL.IsAbs() {
		c.s.m.failed(errBadRequest)
		c.writeSimple(req, http.StatusBadRequest, "absolute URL inside a tunnel", nil)
		return false
	}
	host := req.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if canon, err := normalize(host); err != nil || (canon != c.tunnel.host && !isIPLiteral(c.tunnel.host)) {
		c.s.m.failed(errMisdirected)
		c.writeSimple(req, http.StatusMisdirectedRequest, "This connection is for "+c.tunnel.host+" only.", nil)
		return false
	}
	req.URL.Scheme = "https"
	req.URL.Host = c.tunnel.addr
	if c.tunnel.port == 443 {
		req.URL.Host = c.tunnel.host
	}
	return true
}

// local answers origin-form requests made to the proxy itself: the PAC
// file, and the pages' forms when they post to the proxy's address (no
// block-page listener; pages.Serve checks the address); anything else is
// not a proxy request. A browser sends no proxy credentials to the proxy
// as a site: the sender is whoever is logged in from its address.
func (c *conn) local(req *http.Request) bool {
	switch req.URL.Path {
	case "/proxy.pac", "/wpad.dat":
		if c.s.d.Pages != nil {
			w := newMemResponse()
			c.s.d.Pages.PAC(w, req)
			return c.writeMem(req, w)
		}
	}
	if c.s.d.Pages != nil && strings.HasPrefix(req.URL.Path, pages.Prefix) {
		w := newMemResponse()
		c.s.d.Pages.Serve(w, req, visitor(c.s.d.Identity.Client(req.Context(), c.s.d.Engine.Snapshot(), c.client), c.client))
		return c.writeMem(req, w)
	}
	c.s.m.failed(errNotProxyRequest)
	c.writeSimple(req, http.StatusBadRequest, "This is a web proxy: configure it in your browser rather than visiting it.", nil)
	return c.drain(req)
}

// drain reads what is left of a request body we answered without
// forwarding, so the connection can carry the next request; a large body
// closes the connection instead.
func (c *conn) drain(req *http.Request) bool {
	if req.Close {
		return false
	}
	if req.Body == nil || req.Body == http.NoBody {
		return true
	}
	n, err := io.CopyN(io.Discard, req.Body, 256<<10)
	if err == io.EOF || (err == nil && n < 256<<10) {
		return true
	}
	return false
}
