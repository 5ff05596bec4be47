// Package proxy is Schoolgate's filtering forward proxy: HTTP in absolute
// form and CONNECT tunnels, one policy decision per request (on the full URL
// for HTTP and inspected HTTPS, on the host for plain tunnels), the block
// and warning pages, the acceptable-use gate, optional TLS inspection with
// the school's CA, and careful handling of hostile input.
//
// Every connection runs one chain, in this order:
//
//	readHead      request line and headers, bounded in size and time,
//	              refused when ambiguous (CheckHead)
//	allowNetworks clients outside proxy.allow_networks get 403 (no open proxy)
//	identify      proxy.auth basic → 407 until credentials check; else IP
//	local         /.schoolgate/ form posts, proxy.pac, wpad.dat
//	aua           first visit without the current agreement → agreement page
//	decide        policy.Decide on URL (or host), logged to activity
//	block / warn  the block or warning page (HTTP, inspected HTTPS), 403
//	              for CONNECT without inspection
//	forward       to the site, hop-by-hop headers removed, Via added,
//	              bodies streamed both ways
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
}

// Server is the filtering proxy. Serve may be called on several listeners.
type Server struct {
	d         Deps
	set       atomic.Pointer[settings]
	transport *http.Transport
	auth      *authenticator
	via       string
	m         *metrics

	bufs      sync.Pool // *[]byte, 32 KiB, for bodies and tunnels
	writers   sync.Pool // *bufio.Writer, 16 KiB
	readers   sync.Pool // *bufio.Reader, proxy.max_header_bytes (see getReader)
	upReaders sync.Pool // *bufio.Reader, 8 KiB, for site connections

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
	st, err := compileSettings(d.Engine.Snapshot())
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(d.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Server{d: d, conns: map[*conn]struct{}{}, via: "1.1 schoolgate", m: m}
	s.bufs.New = func() any { b := make([]byte, 32<<10); return &b }
	s.writers.New = func() any { return bufio.NewWriterSize(nil, 16<<10) }
	s.set.Store(st)
	s.transport = s.newTransport()
	if s.d.Identity == nil {
		s.d.Identity = identity.NewResolver(nil, d.Directory, d.Now)
	}
	s.auth = newAuthenticator(d.Directory, s.d.Identity.Sessions(), d.Now)
	d.Engine.OnReload(func(snap *policy.Snapshot) {
		st, err := compileSettings(snap)
		if err != nil {
			d.Log.Error("proxy settings not reloaded", "err", err)
			return
		}
		s.set.Store(st)
	})
	return s, nil
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isClosing() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
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
