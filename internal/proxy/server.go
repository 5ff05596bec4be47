// Package proxy is Schoolgate's filtering forward proxy: HTTP in absolute
// form and CONNECT tunnels, one policy decision per request (on the full URL
// for HTTP and inspected HTTPS, on the host for plain tunnels), the block
// and warning pages, the acceptable-use gate, optional TLS inspection with
// the school's CA, and careful handling of hostile input.
//
// Every connection reads a request head (readRequest: bounded in size and
// time, refused when ambiguous by CheckHead), then runs the request through
// one of two ordered tables of stages, written out in this file: newChain
// for HTTP (and the requests inside an inspected tunnel), newConnectChain
// for CONNECT. The proxy reaches storage only through the interfaces serve
// gives it (pages.Requests and the rest): it never imports the store.
package proxy

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/activity"
	"schoolgate/internal/ca"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/probe"
	"schoolgate/internal/proxy/pages"
)

// Deps are what the proxy is given by serve.
type Deps struct {
	Engine *policy.Engine
	// Identity says who a client is and in which groups: the one
	// resolver serve shares with DNS and the block page. Its sessions
	// take the address → user mapping of each proxy log-in. Nil places
	// every client by its networks.
	Identity *identity.Resolver
	// Directory checks proxy.auth: basic credentials; nil refuses every
	// log-in.
	Directory identity.Directory
	Activity  activity.Sink
	Pages     *pages.Pages
	// CA mints certificates for inspected HTTPS; nil turns inspection off.
	CA  *ca.Authority
	Log *slog.Logger
	Now func() time.Time
	// Dial reaches sites (nil: net.Dialer). Tests and benchmarks may
	// replace it.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// UpstreamTLS configures the client side of inspected HTTPS (nil: the
	// system's roots).
	UpstreamTLS *tls.Config
	// Registerer receives the proxy's metrics (nil: not exported).
	Registerer prometheus.Registerer
	// Probes honours the self-test's probes (nil: none).
	Probes *probe.Verifier
}

// stage is one link of a chain. It answers the request (done, with
// request.keep saying whether the connection may carry another) or passes
// it on (next). A stage that answers has written the whole answer.
type stage struct {
	name string
	run  func(*conn, *request) action
}

type action uint8

const (
	next action = iota
	done
)

// request is one request's state as it goes through a chain. It lives in
// its conn and is reset for each request, so the chain allocates nothing.
type request struct {
	req  *http.Request
	v    pages.Visitor    // who asks (identify)
	host string           // canonical host (decide; CONNECT: authority)
	port int              // CONNECT: the port asked for
	addr string           // CONNECT: host:port to dial
	snap *policy.Snapshot // the policy the decision was taken on
	now  time.Time
	d    policy.Decision
	ev   activity.Event // the decision's activity event, logged once
	keep bool           // set by the stage that answers
	// probed: a self-test probe from this node, standing for a group.
	probed bool
}

// newChain is the HTTP request path, in the order a request goes through
// it, for absolute-form requests and the origin-form requests inside an
// inspected tunnel. The order is the design; each stage says why it sits
// where it does:
//
//  1. allowNetworks clients outside proxy.allow_networks get 403: no open
//     proxy, and nothing else is spent on them.
//  2. local         origin-form requests to the proxy itself (proxy.pac,
//     wpad.dat, the forms posted to the proxy's address): before identify,
//     since a browser sends no proxy credentials to the proxy as a site.
//  3. target        inside a tunnel the URL becomes https://host (a Host
//     naming another site is refused: domain fronting past the tunnel's
//     decision); outside, the absolute URL's host must parse.
//  4. identify      proxy.auth basic → 407, 429 or 503 until credentials
//     check; else whoever the identity resolver places at the address.
//  5. portal        an unidentified client in a portal group's networks
//     gets the sign-in page (200, whatever it asked for; a POST to
//     /signin signs in): before anything else it could reach.
//  6. pages         /.schoolgate/ on any host: the block page's own pages,
//     which must be reachable whatever the policy blocks.
//  7. aua           first visit without the current agreement → the
//     agreement page: before the decision, so no site is reached first.
//  8. decide        policy.Decide on the URL; a warning the visitor
//     already clicked through counts as allowed.
//  9. block         anything not allowed gets the block or warning page
//     and is logged with a reference; nothing after it runs.
//  10. safesearch   allowed search requests are rewritten per the group's
//     SafeSearch: after the decision, on what will actually be sent.
//  11. probe       a self-test probe that got this far was allowed: it is
//     answered here, never sent to the site.
//  12. forward     to the site, hop-by-hop headers removed, Via added,
//     bodies streamed both ways; never to this machine itself (the
//     destination guard, destination.go: 403 after the decision).
func newChain() []stage {
	return []stage{
		{"allowNetworks", stageAllowNetworks},
		{"local", stageLocal},
		{"target", stageTarget},
		{"identify", stageIdentify},
		{"portal", stagePortal},
		{"pages", stagePages},
		{"aua", stageAUA},
		{"decide", stageDecide},
		{"block", stageBlock},
		{"safesearch", stageSafeSearch},
		{"probe", stageProbeAllowed},
		{"forward", stageForward},
	}
}

// newConnectChain is the CONNECT path, in order:
//
//  1. allowNetworks as for HTTP.
//  2. nested        CONNECT inside an inspected tunnel gets 400.
//  3. authority     host:port must parse, and the port be in
//     proxy.connect_ports (403): before identify, so a refused port
//     costs no log-in.
//  4. identify      as for HTTP.
//  5. portal        a client that must sign in first gets 403 (a tunnel
//     cannot carry the page): its browser's plain-HTTP check or the DNS
//     answer takes it to the sign-in page.
//  6. address       an IP-literal target: the destination guard first (403
//     before the 200), then the tunnel is accepted and decided on the
//     server name in the client's TLS hello (connectIP).
//  7. decide        policy.Decide on the host; a warning the visitor
//     already clicked through counts as allowed.
//  8. inspect       groups under proxy.inspect (and hosts not in a
//     no_inspect category) are decrypted with the school CA whatever the
//     host's verdict: the requests inside run newChain, so their decisions
//     (and the block page) are per URL.
//  9. block         the tunnel's decision is counted and described; a
//     tunnel the policy blocked gets 403 (browsers show their own error
//     page).
//  10. tunnel       dial (the destination guard judges the address
//     dialled), 200, then bytes both ways.
func newConnectChain() []stage {
	return []stage{
		{"allowNetworks", stageAllowNetworks},
		{"nested", stageNested},
		{"authority", stageAuthority},
		{"identify", stageIdentify},
		{"portal", stagePortal},
		{"address", stageAddress},
		{"decide", stageDecideHost},
		{"inspect", stageInspect},
		{"block", stageRefuseTunnel},
		{"tunnel", stageTunnel},
	}
}

// Server is the filtering proxy. Serve may be called on several listeners.
type Server struct {
	d         Deps
	set       atomic.Pointer[settings]
	transport *http.Transport
	auth      *authenticator
	via       string
	m         *metrics
	// chain and connectChain are the request paths (newChain,
	// newConnectChain).
	chain, connectChain []stage

	bufs      sync.Pool // *[]byte, 32 KiB, for bodies and tunnels
	writers   sync.Pool // *bufio.Writer, 16 KiB
	readers   sync.Pool // *bufio.Reader, proxy.max_header_bytes (see getReader)
	upReaders sync.Pool // *bufio.Reader, 8 KiB, for site connections

	// listening are the addresses Serve was given (destination.go).
	listening atomic.Pointer[[]netip.AddrPort]

	mu      sync.Mutex
	conns   map[*conn]struct{}
	closing atomic.Bool // set under mu; read without it on every request
	wg      sync.WaitGroup
}

// New builds a proxy from the engine's current snapshot and follows its
// reloads.
func New(d Deps) (*Server, error) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Activity == nil {
		d.Activity = activity.Discard{}
	}
	st, err := compileSettings(d.Engine.Snapshot(), d.Log)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(d.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Server{d: d, conns: map[*conn]struct{}{}, via: "1.1 schoolgate", m: m, chain: newChain(), connectChain: newConnectChain()}
	s.bufs.New = func() any { b := make([]byte, 32<<10); return &b }
	s.writers.New = func() any { return bufio.NewWriterSize(nil, 16<<10) }
	s.set.Store(st)
	s.transport = s.newTransport()
	if s.d.Identity == nil {
		s.d.Identity = identity.NewResolver(nil, d.Directory, d.Now)
	}
	s.auth = newAuthenticator(d.Directory, s.d.Identity.Sessions(), d.Now)
	d.Engine.OnReload(func(snap *policy.Snapshot) {
		st, err := compileSettings(snap, d.Log)
		if err != nil {
			d.Log.Error("proxy settings not reloaded", "err", err)
			return
		}
		s.set.Store(st)
	})
	return s, nil
}

// Serve accepts connections on ln until Shutdown or until ln is closed.
func (s *Server) Serve(ln net.Listener) error {
	s.addBound(ln.Addr())
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isClosing() {
				return nil
			}
			// serve's listener (a netguard) retries accept errors
			// itself; any other listener's are retried here, so that
			// running out of descriptors never ends the proxy.
			if !errors.Is(err, net.ErrClosed) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("proxy: accept: %w", err)
		}
		delay = 0
		pc := s.newConn(c)
		if pc == nil {
			c.Close()
			continue
		}
		go func() {
			defer s.wg.Done()
			defer s.untrack(pc)
			pc.serve()
		}()
	}
}

// Shutdown stops taking requests: idle connections close at once, busy
// ones after their current request, and any left when ctx ends are cut.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	for c := range s.conns {
		if c.idle.Load() {
			c.c.SetReadDeadline(time.Now())
		}
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.c.Close()
		}
		s.mu.Unlock()
		<-done
	}
	s.transport.CloseIdleConnections()
	return nil
}

func (s *Server) isClosing() bool { return s.closing.Load() }

func (s *Server) newConn(c net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return nil
	}
	pc := &conn{s: s, c: c, set: s.set.Load(), idle: new(atomic.Bool), remote: c.RemoteAddr().String()}
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		pc.client = ap.Addr().Unmap()
	}
	s.conns[pc] = struct{}{}
	s.wg.Add(1)
	s.m.conns.Inc()
	return pc
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.m.conns.Dec()
}

// newRef makes a reference number for a block page: short enough to read
// out over the phone, and logged with the decision so staff can find it.
func newRef() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "SG-" + hex.EncodeToString(b[:])
}
