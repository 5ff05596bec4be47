package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"schoolgate/internal/activity"
)

// newTransport makes the client side of the proxy: no proxy of its own, no
// compression changes (the body passes as the site sent it), HTTP/1.1 to
// sites, and every phase bounded.
func (s *Server) newTransport() *http.Transport {
	st := s.set.Load()
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            s.dial,
		ForceAttemptHTTP2:      false,
		DisableCompression:     true,
		MaxIdleConns:           1024,
		MaxIdleConnsPerHost:    256,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    st.upstream,
		ResponseHeaderTimeout:  st.upstream,
		ExpectContinueTimeout:  0,
		MaxResponseHeaderBytes: 256 << 10,
		TLSClientConfig:        s.d.UpstreamTLS,
	}
}

// dial reaches a site, honouring proxy.hosts, within the upstream timeout.
// The destination guard judges the address actually dialled: in the
// dialer's Control hook, before the connection is attempted; a test
// dialer's connection is judged by its remote address instead.
func (s *Server) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	st := s.set.Load()
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if canon, err := normalize(host); err == nil {
			if ip, ok := st.hosts[canon]; ok {
				addr = net.JoinHostPort(ip.String(), port)
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, st.upstream)
	defer cancel()
	if s.d.Dial != nil {
		c, err := s.d.Dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if err := st.dest.checkAddr(c.RemoteAddr().String(), s.bound()); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	}
	d := net.Dialer{ControlContext: func(_ context.Context, _, address string, _ syscall.RawConn) error {
		return st.dest.checkAddr(address, s.bound())
	}}
	return d.DialContext(ctx, network, addr)
}

// stageForward ends the chain: the request goes to its site.
func stageForward(c *conn, r *request) action {
	return r.answered(c.forward(r.req, &r.ev))
}

// forward sends an allowed request to its site and relays the answer. ev
// is the request's activity event, logged once the site is dialled: a
// destination the guard refuses turns it into a block.
func (c *conn) forward(req *http.Request, ev *activity.Event) bool {
	// A shallow copy: the client's headers are not needed after this, so
	// they are edited in place rather than cloned.
	out := req.WithContext(req.Context())
	out.RequestURI = ""
	out.Close = false
	upgrade := websocketUpgrade(req.Header)
	removeHop(out.Header)
	if upgrade != "" {
		// The one upgrade relayed: a WebSocket, whose frames the filter
		// cannot read but whose page and host it has already decided.
		out.Header["Connection"] = []string{"Upgrade"}
		out.Header["Upgrade"] = []string{upgrade}
	}
	out.Header.Add("Via", c.s.via)
	if _, ok := out.Header["User-Agent"]; !ok {
		out.Header["User-Agent"] = nil // do not let Go add its own
	}
	if out.Header.Get("Expect") != "" {
		// Answer 100 ourselves: the request is allowed and we will read
		// its body; the site gets it without the wait.
		out.Header.Del("Expect")
		c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		if c.flush() != nil {
			c.s.d.Activity.Log(*ev)
			return false
		}
	}
	if req.ContentLength == 0 && req.Body != nil && req.Body != http.NoBody && len(req.TransferEncoding) == 0 {
		out.Body = nil
	}
	var resp *http.Response
	var err error
	if c.tunnel == nil {
		resp, err = c.roundTrip(out)
	} else {
		resp, err = c.s.transport.RoundTrip(out)
	}
	if errors.Is(err, errDestination) {
		return c.refuseDestination(req, ev, err)
	}
	c.s.d.Activity.Log(*ev)
	if err != nil {
		return c.writeUnreachable(req, req.URL.Hostname(), err)
	}
	if c.tunnel != nil {
		// The Transport's body: closing it unread is cheap (the Transport
		// drops that connection). A body read from the kept connection
		// is never closed unread, which would drain it to its end: the
		// connection is closed instead (closeUp).
		defer resp.Body.Close()
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		if upgrade != "" && strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
			return c.relayUpgrade(resp)
		}
		// Other upgrades (h2c, or one the client did not ask for) are not
		// relayed.
		c.s.m.failed(errUpgradeRefused)
		c.closeUp()
		return c.writeSimple(closing(req), http.StatusBadGateway, "Protocol upgrades are not supported through the filter.", nil)
	}
	keep := c.writeUpstream(req, resp)
	if !keep || resp.Close {
		c.closeUp()
	}
	// Otherwise the body was read to its end and the site connection
	// stays for the client's next request.
	if c.body != nil {
		c.s.m.bytes[toSite].Add(float64(c.body.bytesRead()))
	}
	// A site may answer before reading the whole request body: the rest
	// is still on the connection, so it cannot carry another request.
	if c.body != nil && !c.body.finish() {
		keep = false
	}
	return keep
}

// websocketUpgrade returns the Upgrade header of a WebSocket handshake
// (Connection names "upgrade" and Upgrade is "websocket"), else "".
func websocketUpgrade(h http.Header) string {
	up := h.Get("Upgrade")
	if !strings.EqualFold(strings.TrimSpace(up), "websocket") {
		return ""
	}
	for _, v := range h["Connection"] {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.Trim(f, " \t"), "upgrade") {
				return strings.TrimSpace(up)
			}
		}
	}
	return ""
}

// relayUpgrade passes a site's 101 Switching Protocols to the client and
// then joins the two connections until either ends (a WebSocket: the
// client connection carries nothing else afterwards). On plain HTTP the
// kept site connection is spliced to the client; inside an inspected
// tunnel the Transport hands over the site connection as the body.
func (c *conn) relayUpgrade(resp *http.Response) bool {
	h := resp.Header // the response goes no further: edited in place
	up := h.Get("Upgrade")
	removeHop(h)
	h["Connection"] = []string{"Upgrade"}
	h["Upgrade"] = []string{up}
	h.Add("Via", c.s.via)
	c.writeHead(http.StatusSwitchingProtocols, h)
	if c.flush() != nil {
		c.closeUp()
		return false
	}
	c.s.m.upgrades.Inc()
	if c.tunnel != nil {
		rwc, ok := resp.Body.(io.ReadWriteCloser)
		if !ok {
			return false
		}
		c.splice(rwcConn{rwc}, nil)
		return false
	}
	u := c.up
	c.up = nil
	// Bytes the site sent right behind its 101 were read with the head.
	if n := u.br.Buffered(); n > 0 {
		b, _ := u.br.Peek(n)
		c.c.SetWriteDeadline(time.Now().Add(c.set.idleTimeout))
		if _, err := c.c.Write(b); err != nil {
			u.c.Close()
			c.releaseUp(u)
			return false
		}
	}
	raw := u.c.Conn
	c.releaseUp(u)
	raw.SetDeadline(time.Time{})
	c.splice(raw, nil)
	return false
}

// rwcConn lets splice use the site connection the Transport hands over
// after a 101 (an io.ReadWriteCloser): it has no deadlines of its own, so
// the client side's idle timeout ends a silent WebSocket.
type rwcConn struct{ io.ReadWriteCloser }

func (rwcConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (rwcConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (rwcConn) SetDeadline(time.Time) error      { return nil }
func (rwcConn) SetReadDeadline(time.Time) error  { return nil }
func (rwcConn) SetWriteDeadline(time.Time) error { return nil }
