package proxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"time"
)

// upstream is a connection to a site held by one client connection for
// plain HTTP: the client's next request to the same site reuses it. The
// exchange runs in the client connection's own goroutine, with no pool
// lock shared between clients and no hand-off to other goroutines
// (net/http's Transport has both: one idle-pool mutex for every
// connection, and a reader and a writer goroutine per connection, which
// at saturation showed as lock contention and scheduling delay in the
// tail). Inspected HTTPS keeps the Transport, for its TLS handling.
type upstream struct {
	addr string // host:port as dialed
	c    *deadlineConn
	br   *bufio.Reader
	bw   *bufio.Writer
}

// deadlineConn renews its read deadline on every read, by d: the wait for
// a response's head (proxy.upstream_timeout), then any silence inside its
// body (proxy.idle_timeout). It counts the bytes read, so a failure on a
// reused connection can be told apart from one after the site answered.
type deadlineConn struct {
	net.Conn
	d time.Duration
	n int64
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.d))
	n, err := c.Conn.Read(p)
	c.n += int64(n)
	return n, err
}

// errStale is a reused connection that the site had already closed: the
// request may be sent again on a new one.
var errStale = errors.New("proxy: idle connection to the site was closed")

// siteAddr is the host:port a plain-HTTP request goes to.
func siteAddr(req *http.Request) string {
	host, port := req.URL.Hostname(), req.URL.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(host, port)
}

// roundTrip sends out to its site over the connection kept from the
// client's previous request when it is to the same site, else a new one,
// and reads the response head. A request without a body that fails on a
// reused connection before any byte came back is sent once more on a new
// connection, as net/http's Transport does.
func (c *conn) roundTrip(out *http.Request) (*http.Response, error) {
	addr := siteAddr(out)
	replayable := out.Body == nil || out.Body == http.NoBody
	for attempt := 0; ; attempt++ {
		reused := c.up != nil && c.up.addr == addr
		if reused && (c.up.br.Buffered() > 0 || !replayable && !alive(c.up.c.Conn)) {
			reused = false // closed by the site, or sent bytes unasked
		}
		if !reused {
			c.closeUp()
			nc, err := c.s.dial(out.Context(), "tcp", addr)
			if err != nil {
				return nil, err
			}
			c.up = &upstream{addr: addr, c: &deadlineConn{Conn: nc}}
			c.up.br = c.s.getUpReader(c.up.c)
			c.up.bw = c.s.writers.Get().(*bufio.Writer)
			c.up.bw.Reset(c.up.c)
		}
		resp, err := c.up.exchange(out, c.set.upstream, c.set.idleTimeout, reused)
		if err == nil {
			return resp, nil
		}
		c.closeUp()
		if !(errors.Is(err, errStale) && replayable && attempt == 0) {
			return nil, err
		}
	}
}

// exchange writes the request and reads the response head, skipping
// informational (1xx) answers other than 101.
func (u *upstream) exchange(out *http.Request, headerTimeout, idle time.Duration, reused bool) (*http.Response, error) {
	u.c.SetWriteDeadline(time.Now().Add(headerTimeout))
	u.c.d = headerTimeout
	u.c.n = 0
	werr := out.Write(u.bw)
	if werr == nil {
		werr = u.bw.Flush()
	}
	if werr != nil && (out.Body == nil || out.Body == http.NoBody) {
		if reused {
			return nil, errStale
		}
		return nil, werr
	}
	// A request body that could not be written whole may be the site
	// answering early (and closing): read its answer if there is one.
	for {
		resp, err := http.ReadResponse(u.br, out)
		if err != nil {
			if werr != nil {
				return nil, werr
			}
			if reused && u.c.n == 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || isReset(err)) {
				return nil, errStale
			}
			return nil, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			u.c.d = idle
			if werr != nil {
				resp.Close = true
			}
			return resp, nil
		}
	}
}

// isReset reports a connection reset by the site.
func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && !oe.Timeout()
}

// closeUp closes the kept site connection, if any.
func (c *conn) closeUp() {
	if c.up == nil {
		return
	}
	c.up.c.Close()
	c.releaseUp(c.up)
	c.up = nil
}

// releaseUp gives a site connection's buffers back to their pools (the
// connection itself is closed, or handed on, by the caller).
func (c *conn) releaseUp(u *upstream) {
	u.br.Reset(nil)
	c.s.upReaders.Put(u.br)
	u.bw.Reset(nil)
	c.s.writers.Put(u.bw)
}

// getUpReader returns a pooled 8 KiB reader for a site connection.
func (s *Server) getUpReader(r io.Reader) *bufio.Reader {
	if br, ok := s.upReaders.Get().(*bufio.Reader); ok {
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, 8<<10)
}
