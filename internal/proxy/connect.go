package proxy

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/policy"
	"schoolgate/internal/proxy/pages"
)

// A CONNECT runs newConnectChain (server.go). The decision is on the host;
// for an IP-literal target the proxy answers 200, reads the server name
// from the client's TLS hello, decides on that, and closes the tunnel when
// blocked. Groups under proxy.inspect (and sites not in a no_inspect
// category) get their HTTPS decrypted with the school CA and filtered per
// URL; other blocked tunnels are refused with 403, which browsers show as
// their own error page.

// stageNested refuses a CONNECT inside an inspected tunnel.
func stageNested(c *conn, r *request) action {
	if c.tunnel == nil {
		return next
	}
	c.s.m.failed(errBadRequest)
	c.writeSimple(r.req, http.StatusBadRequest, "CONNECT inside a tunnel", nil)
	return r.answered(false)
}

// stageAuthority reads host:port and refuses ports outside
// proxy.connect_ports.
func stageAuthority(c *conn, r *request) action {
	host, port, err := parseAuthority(r.req.RequestURI)
	if err != nil {
		c.refuseHead(err)
		return r.answered(false)
	}
	if !c.set.connectPorts[port] {
		c.s.m.failed(errConnectPort)
		c.s.d.Log.Warn("proxy: CONNECT to a port not in proxy.connect_ports", "port", port)
		return r.answered(c.writeSimple(r.req, http.StatusForbidden, "Secure connections are allowed to port 443 only.", nil))
	}
	r.host, r.port, r.addr = host, port, net.JoinHostPort(host, strconv.Itoa(port))
	return next
}

// stageAddress handles a CONNECT to an IP address: refused by the
// destination guard before the 200 (a blocked host's refusal is the
// policy's), else decided on the TLS hello's server name (connectIP).
func stageAddress(c *conn, r *request) action {
	ip, err := netip.ParseAddr(r.host)
	if err != nil {
		return next
	}
	// The address is known before the 200: one the guard refuses gets
	// 403 now rather than a tunnel closed after its hello.
	if derr := c.set.dest.checkAddrPort(netip.AddrPortFrom(ip, uint16(r.port)), c.s.bound()); derr != nil {
		snap := c.s.d.Engine.Snapshot()
		d := c.decideHost(snap, r.v, r.host)
		ev := c.event(snap, &d, r.v, r.host, "")
		c.s.m.decided(pointConnect, d.Verdict)
		if d.Verdict != policy.Allow {
			return r.answered(c.refuseTunnel(r.req, ev))
		}
		return r.answered(c.refuseDestination(r.req, &ev, derr))
	}
	return r.answered(c.connectIP(r.req, r.tunnel(), c.inspects(r.v)))
}

// stageDecideHost decides the tunnel's host.
func stageDecideHost(c *conn, r *request) action {
	r.snap = c.s.d.Engine.Snapshot()
	r.d = c.decideHost(r.snap, r.v, r.host)
	return next
}

// stageInspect decrypts the tunnel of a visitor under proxy.inspect,
// unless its host is in a no_inspect category: per-URL decisions, pages
// and logs happen inside, whatever the host's own verdict.
func stageInspect(c *conn, r *request) action {
	if !c.inspects(r.v) || r.snap.NoInspect(r.d.Categories) {
		return next
	}
	if c.established() {
		c.mitm(r.tunnel(), &bufConn{Conn: c.c, r: c.br})
	}
	return r.answered(false)
}

// stageRefuseTunnel counts the tunnel's decision and refuses a blocked
// one with 403.
func stageRefuseTunnel(c *conn, r *request) action {
	r.ev = c.event(r.snap, &r.d, r.v, r.host, "")
	c.s.m.decided(pointConnect, r.d.Verdict)
	if r.d.Verdict == policy.Allow {
		return next
	}
	return r.answered(c.refuseTunnel(r.req, r.ev))
}

// stageTunnel ends the chain: the site is dialled (the destination guard
// judging the address dialled), then 200 and bytes both ways.
func stageTunnel(c *conn, r *request) action {
	up, err := c.s.dial(r.req.Context(), "tcp", r.addr)
	if errors.Is(err, errDestination) {
		return r.answered(c.refuseDestination(r.req, &r.ev, err))
	}
	c.s.d.Activity.Log(r.ev)
	if err != nil {
		return r.answered(c.writeUnreachable(r.req, r.host, err))
	}
	if !c.established() {
		up.Close()
		return r.answered(false)
	}
	c.splice(up, nil)
	return r.answered(false)
}

// inspects reports whether v's tunnels are decrypted (proxy.inspect, and
// a CA to mint with).
func (c *conn) inspects(v pages.Visitor) bool {
	return c.s.d.CA != nil && !v.Groups.And(c.set.inspect).Empty()
}

// tunnel is what an inspected connection will know of this CONNECT.
func (r *request) tunnel() *tunnel {
	return &tunnel{host: r.host, port: r.port, addr: r.addr, v: r.v}
}

// refuseTunnel answers 403 to a tunnel the policy blocked. Who asked for
// which host is in the activity log, found by the reference; the system
// log keeps only the reference and the rule.
func (c *conn) refuseTunnel(req *http.Request, ev activity.Event) bool {
	ev.Ref = newRef()
	c.s.d.Activity.Log(ev)
	c.s.d.Log.Info("proxy: tunnel refused", "ref", ev.Ref, "verdict", ev.Verdict, "rule", ev.Rule)
	return c.writeSimple(closing(req), http.StatusForbidden, "This site is blocked by the school's filter (reference "+ev.Ref+").", nil)
}

// decideHost decides a tunnel's host; a warning the visitor already
// clicked through counts as allowed.
func (c *conn) decideHost(snap *policy.Snapshot, v pages.Visitor, host string) policy.Decision {
	now := c.s.d.Now()
	q := policy.Query{Host: host, User: v.User, Client: v.Client, Groups: v.Groups, At: now, Overrides: c.s.d.Engine.Overrides()}
	d := snap.Decide(&q)
	if d.Verdict == policy.Warn && c.s.d.Pages != nil && c.s.d.Pages.Continued(v, host, now) {
		d.Verdict = policy.Allow
	}
	return d
}

// connectIP handles CONNECT to an IP address: the site's name is in the
// client's TLS hello, so the tunnel is accepted first and decided on that.
func (c *conn) connectIP(req *http.Request, t *tunnel, inspect bool) bool {
	if !c.established() {
		return false
	}
	c.c.SetReadDeadline(time.Now().Add(c.set.headerTimeout))
	sni, hello, err := peekClientHello(c.br)
	c.c.SetReadDeadline(time.Time{})
	if err != nil {
		c.s.m.failed(errNoHello)
		c.s.d.Log.Info("proxy: no TLS hello in a tunnel to an IP address", "err", errReason(err))
		return false
	}
	name := t.host
	if sni != "" {
		if canon, err := normalize(sni); err == nil {
			name = canon
		}
	}
	snap := c.s.d.Engine.Snapshot()
	d := c.decideHost(snap, t.v, name)
	in := &bufConn{Conn: c.c, r: io.MultiReader(bytes.NewReader(hello), c.br)}
	if inspect && !snap.NoInspect(d.Categories) {
		t.host = name
		c.mitm(t, in)
		return false
	}
	ev := c.event(snap, &d, t.v, name, "")
	c.s.m.decided(pointConnect, d.Verdict)
	if d.Verdict != policy.Allow {
		ev.Ref = newRef()
		c.s.d.Activity.Log(ev)
		c.s.d.Log.Info("proxy: tunnel closed after its TLS hello", "ref", ev.Ref, "rule", ev.Rule)
		return false
	}
	up, err := c.s.dial(req.Context(), "tcp", t.addr)
	if errors.Is(err, errDestination) {
		// Checked before the 200 already; a reload may have narrowed
		// allow_destinations since. The tunnel can only be closed.
		ev.Verdict, ev.Rule, ev.Ref = "block", destRule(err), newRef()
		c.s.d.Activity.Log(ev)
		c.s.m.failed(errDestinationRefused)
		c.s.d.Log.Warn("proxy: destination refused", "ref", ev.Ref, "rule", ev.Rule)
		return false
	}
	c.s.d.Activity.Log(ev)
	if err != nil {
		c.s.m.failed(errUpstreamUnreachable)
		c.s.d.Log.Info("proxy: tunnel dial failed", "rule", ev.Rule, "err", errReason(err))
		return false
	}
	c.splice(up, hello)
	return false
}

// established answers 200 to a CONNECT.
func (c *conn) established() bool {
	c.bw.WriteString("HTTP/1.1 200 Connection established\r\n\r\n")
	return c.flush() == nil
}

// errHelloSeen stops the handshake once the hello has been read.
var errHelloSeen = errors.New("client hello read")

// peekClientHello reads the client's TLS hello and returns its server
// name and every byte read, to be replayed to the site (or to our own TLS
// server when inspecting).
func peekClientHello(r io.Reader) (string, []byte, error) {
	var rec bytes.Buffer
	var sni string
	seen := false
	err := tls.Server(readOnlyConn{r: io.TeeReader(r, &rec)}, &tls.Config{
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			sni, seen = h.ServerName, true
			return nil, errHelloSeen
		},
	}).Handshake()
	if !seen {
		return "", nil, err
	}
	return sni, rec.Bytes(), nil
}

// readOnlyConn feeds a reader to crypto/tls and swallows what it writes
// (the alert it sends when we stop after the hello).
type readOnlyConn struct {
	r io.Reader
	net.Conn
}

func (c readOnlyConn) Read(p []byte) (int, error)         { return c.r.Read(p) }
func (c readOnlyConn) Write(p []byte) (int, error)        { return len(p), nil }
func (c readOnlyConn) Close() error                       { return nil }
func (c readOnlyConn) SetDeadline(t time.Time) error      { return nil }
func (c readOnlyConn) SetReadDeadline(t time.Time) error  { return nil }
func (c readOnlyConn) SetWriteDeadline(t time.Time) error { return nil }
func (c readOnlyConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c readOnlyConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }

// bufConn reads through the connection's buffered reader, so bytes the
// client sent right behind its CONNECT are not lost.
type bufConn struct {
	net.Conn
	r io.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// mitm decrypts an inspected tunnel with a certificate for its host and
// serves the requests inside like any other, against https://host.
func (c *conn) mitm(t *tunnel, in net.Conn) {
	cert, err := c.s.d.CA.Leaf(t.host)
	if err != nil {
		c.s.m.failed(errInspection)
		c.s.d.Log.Error("proxy: cannot mint a certificate", "err", errReason(err)) // its text names the host
		return
	}
	tc := tls.Server(in, &tls.Config{
		Certificates: []tls.Certificate{*cert},
		NextProtos:   []string{"http/1.1"},
		MinVersion:   tls.VersionTLS12,
	})
	tc.SetDeadline(time.Now().Add(c.set.headerTimeout))
	if err := tc.Handshake(); err != nil {
		c.s.m.failed(errInspection)
		c.s.d.Log.Info("proxy: inspected handshake failed (is the school CA trusted on this device?)", "err", errReason(err))
		return
	}
	tc.SetDeadline(time.Time{})
	c.s.m.tunnels[tunnelInspected].Inc()
	defer c.s.m.tunnels[tunnelInspected].Dec()
	inner := &conn{s: c.s, c: tc, client: c.client, remote: c.remote, set: c.set, tunnel: t, idle: c.idle}
	inner.serve()
}
