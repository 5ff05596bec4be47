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

// connect handles a CONNECT request. The decision is on the host; for an
// IP-literal target the proxy answers 200, reads the server name from the
// client's TLS hello, decides on that, and closes the tunnel when blocked.
// Groups under proxy.inspect (and sites not in a no_inspect category) get
// their HTTPS decrypted with the school CA and filtered per URL; other
// blocked tunnels are refused with 403, which browsers show as their own
// error page.
func (c *conn) connect(req *http.Request) bool {
	host, port, err := parseAuthority(req.RequestURI)
	if err != nil {
		c.refuseHead(err)
		return false
	}
	if !c.set.connectPorts[port] {
		c.s.m.failed(errConnectPort)
		c.s.d.Log.Warn("proxy: CONNECT to a port not in proxy.connect_ports", "port", port)
		return c.writeSimple(req, http.StatusForbidden, "Secure connections are allowed to port 443 only.", nil)
	}
	v, ok := c.identify(req)
	if !ok {
		return c.drain(req)
	}
	t := &tunnel{host: host, port: port, addr: net.JoinHostPort(host, strconv.Itoa(port)), v: v}
	inspect := c.s.d.CA != nil && !v.Groups.And(c.set.inspect).Empty()

	if ip, err := netip.ParseAddr(host); err == nil {
		// The address is known before the 200: one the guard refuses
		// gets 403 now rather than a tunnel closed after its hello.
		if derr := c.set.dest.checkAddrPort(netip.AddrPortFrom(ip, uint16(port)), c.s.bound()); derr != nil {
			snap := c.s.d.Engine.Snapshot()
			d := c.decideHost(snap, v, host)
			ev := c.event(snap, &d, v, host, "")
			c.s.m.decided(pointConnect, d.Verdict)
			if d.Verdict != policy.Allow {
				return c.refuseTunnel(req, ev)
			}
			return c.refuseDestination(req, &ev, derr)
		}
		return c.connectIP(req, t, inspect)
	}
	snap := c.s.d.Engine.Snapshot()
	d := c.decideHost(snap, v, host)
	if inspect && !snap.NoInspect(d.Categories) {
		// Per-URL decisions, pages and logs happen inside.
		if !c.established() {
			return false
		}
		c.mitm(t, &bufConn{Conn: c.c, r: c.br})
		return false
	}
	ev := c.event(snap, &d, v, host, "")
	c.s.m.decided(pointConnect, d.Verdict)
	if d.Verdict != policy.Allow {
		return c.refuseTunnel(req, ev)
	}
	up, err := c.s.dial(req.Context(), "tcp", t.addr)
	if errors.Is(err, errDestination) {
		return c.refuseDestination(req, &ev, err)
	}
	c.s.d.Activity.Log(ev)
	if err != nil {
		return c.writeUnreachable(req, host, err)
	}
	if !c.established() {
		up.Close()
		return false
	}
	c.splice(up, nil)
	return false
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
