// Package dnsfilter is Schoolgate's DNS filtering resolver: every query is
// decided by the same policy engine as the proxy, then answered from a
// block response, a SafeSearch rewrite, the cache or the upstreams.
package dnsfilter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/activity"
	"schoolgate/internal/identity"
	"schoolgate/internal/netguard"
	"schoolgate/internal/policy"
	"schoolgate/internal/probe"
)

// Sentinel errors.
var (
	ErrMalformed     = errors.New("malformed DNS message")
	ErrBadName       = errors.New("query name is not a host name")
	ErrNoUpstream    = errors.New("no upstream answered")
	ErrBadUpstream   = errors.New("bad upstream answer")
	ErrListen        = errors.New("cannot listen")
	ErrNoListeners   = errors.New("dns.listen is empty")
	ErrUpstreamSetup = errors.New("bad upstream")
)

// Options are the resolver's dependencies. Engine is required; the rest
// may be nil.
type Options struct {
	Engine *policy.Engine
	// Identity says who a client is and in which groups (the one
	// resolver serve shares with the proxy and the block page); nil
	// places every client by its networks.
	Identity *identity.Resolver
	// Activity receives one event per query (unless dns.log_queries is
	// false). Log must not block.
	Activity activity.Sink
	// Registry gets the resolver's metrics.
	Registry prometheus.Registerer
	Logger   *slog.Logger
	// Now is the policy clock (schedules, exceptions, TTL caps).
	Now func() time.Time
	// TCPGuard caps the DNS-over-TCP connections per client and in
	// total, and keeps accepting through descriptor exhaustion (nil: a
	// guard of its own, 256 per client and 512 in all).
	TCPGuard *netguard.Guard
	// Probes honours the self-test's probes (nil: none).
	Probes *probe.Verifier
}

// stage is one link of the chain. It answers the request (done), passes
// it on (next), or asks to be run again where it may block (park).
type stage struct {
	name string
	run  func(*Server, *request) action
}

type action uint8

const (
	next action = iota
	done
	park
)

// Server is the DNS filtering resolver. It is safe for concurrent use.
type Server struct {
	engine *policy.Engine
	ident  *identity.Resolver
	probes *probe.Verifier
	sink   activity.Sink
	log    *slog.Logger
	now    func() time.Time
	m      *metrics
	cache  *cache
	// cacheSize is dns.cache_size at start (the cache is not resized).
	cacheSize int
	flight    flightGroup
	ss        safeSearch
	view      atomic.Pointer[view]
	chain     []stage

	listen    []string
	udp       []*net.UDPConn
	tcp       []net.Listener  // under tcpLimits
	tcpLimits *netguard.Guard // per-client and total caps, accept backoff
	reqs      sync.Pool
	inflight  sync.WaitGroup
	closing   atomic.Bool
	tcpConns  sync.Map      // net.Conn → struct{}
	parked    chan *request // to an idle goroutine of runParked
	stopped   chan struct{} // closed when Run returns
}

// newChain is the resolver chain, in the order a query goes through it.
// The order is the design; each stage says why it sits where it does:
//
//  1. parse       read the header and the one question straight off the
//     wire; malformed, oversized or absurd queries get FORMERR, NOTIMP or
//     REFUSED here and nothing else runs.
//  2. clients     queries from outside dns.allow_networks (default: the
//     groups' networks and loopback) get REFUSED: no open resolver.
//  3. ratelimit   per-client token bucket (off by default: schools sit
//     behind NAT); before any work is spent on a flood.
//  4. identify    client IP → proxy session user → groups (identity store
//     or the policy's users: lists), else the policy's networks.
//  5. portal      an unidentified client in a portal group's networks:
//     every name (the OS connectivity checks too, so the device shows
//     its "sign in to network" sheet) answers the block page's address,
//     TTL 0, whatever the rules or dns.block_response say; nothing else
//     runs until someone signs in on that page from the address.
//  6. circumvent  the Firefox canary and Apple Private Relay, for filtered
//     groups: they must fail before policy, whatever the rules say.
//  7. decide      policy.Decide, as for every enforcement point; blocked,
//     warn, permission and illegal names are answered here (with an
//     Extended DNS Error) and never reach the cache or the upstreams.
//  8. safesearch  allowed search engines become CNAMEs to their SafeSearch
//     names, the target resolved through the cache and upstreams.
//  9. cache       answers from the shared, TTL-honouring cache; the cache
//     holds upstream data only, so it sits after every per-client stage.
//  10. forward     the upstreams (UDP/TCP/DoT/DoH, fail-over, EDNS0, TCP on
//     truncation); ECH configs are stripped from HTTPS/SVCB answers before
//     they are cached.
//
// Every answer then has its TTLs capped (filtered groups, and decisions
// that change at a schedule boundary or an exception's end) as it is
// rendered, and finish counts it and logs the activity event.
func newChain() []stage {
	return []stage{
		{"parse", stageParse},
		{"clients", stageClients},
		{"ratelimit", stageRateLimit},
		{"identify", stageIdentify},
		{"portal", stagePortal},
		{"circumvent", stageCircumvent},
		{"decide", stageDecide},
		{"safesearch", stageSafeSearch},
		{"cache", stageCache},
		{"forward", stageForward},
	}
}

// New builds the resolver from the engine's dns: settings and binds its
// listeners, so that a busy or privileged port fails before serve is
// ready.
func New(opt Options) (*Server, error) {
	if opt.Engine == nil {
		return nil, fmt.Errorf("dnsfilter: no policy engine")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Activity == nil {
		opt.Activity = activity.Discard{}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Registry == nil {
		opt.Registry = prometheus.NewRegistry()
	}
	s := &Server{
		engine:  opt.Engine,
		ident:   opt.Identity,
		probes:  opt.Probes,
		sink:    opt.Activity,
		log:     opt.Logger,
		now:     opt.Now,
		chain:   newChain(),
		ss:      newSafeSearch(),
		parked:  make(chan *request),
		stopped: make(chan struct{}),
	}
	s.reqs.New = func() any { return new(request) }
	snap := opt.Engine.Snapshot()
	cfg := snap.Config().DNS
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Listen) == 0 {
		return nil, ErrNoListeners
	}
	m, err := newMetrics(opt.Registry)
	if err != nil {
		return nil, err
	}
	s.m = m
	s.tcpLimits = opt.TCPGuard
	if s.tcpLimits == nil {
		s.tcpLimits, err = netguard.New(netguard.Options{Name: "dns", Limits: netguard.Limits{Total: maxTCPConns}, Registerer: opt.Registry, Log: opt.Logger})
		if err != nil {
			return nil, err
		}
	}
	s.cache, s.cacheSize = newCache(cfg.CacheSize), cfg.CacheSize
	m.registerCache(opt.Registry, s.cache)
	v, err := s.newView(snap, nil)
	if err != nil {
		return nil, err
	}
	s.view.Store(v)
	if len(cfg.AllowNetworks) == 0 {
		// A network served only through default_group must be listed.
		s.log.Info("dns: answering loopback and the groups' networks only; set dns.allow_networks to serve others", "networks", len(v.clients))
	}
	s.listen = append([]string(nil), cfg.Listen...)
	if err := s.bind(cfg.Listen); err != nil {
		s.closeListeners()
		return nil, err
	}
	opt.Engine.OnReload(s.reload)
	return s, nil
}

// Name implements serve's service.
func (s *Server) Name() string { return "dns" }

// Addrs are the UDP addresses actually bound (useful with port 0).
func (s *Server) Addrs() []netip.AddrPort {
	out := make([]netip.AddrPort, 0, len(s.udp))
	for _, c := range s.udp {
		out = append(out, c.LocalAddr().(*net.UDPAddr).AddrPort())
	}
	return out
}

// reload rebuilds the per-policy view after the engine swapped in a new
// snapshot. Queries in flight finish on the view they started with.
func (s *Server) reload(snap *policy.Snapshot) {
	old := s.view.Load()
	v, err := s.newView(snap, old)
	if err != nil {
		s.log.Error("dns: new dns: settings rejected; keeping the previous ones", "err", err)
		return
	}
	s.view.Store(v)
	if v.up != old.up {
		// Queries that began on the old view are done by its timeout.
		time.AfterFunc(old.up.timeout+time.Second, old.up.close)
	}
	if !slices.Equal(snap.Config().DNS.Listen, s.listen) {
		s.log.Warn("dns.listen changed: restart schoolgate to listen on the new addresses", "listening", s.listen, "configured", snap.Config().DNS.Listen)
	}
	if snap.Config().DNS.CacheSize != s.cacheSize {
		s.log.Warn("dns.cache_size changed: it takes effect at the next restart")
	}
}

// Run serves until ctx ends, then closes the listeners and waits for the
// queries in flight.
func (s *Server) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, c := range s.udp {
		for range udpReaders() {
			wg.Add(1)
			go func() { defer wg.Done(); s.serveUDP(c) }()
		}
	}
	for _, l := range s.tcp {
		wg.Add(1)
		go func() { defer wg.Done(); s.serveTCP(l) }()
	}
	for _, a := range s.Addrs() {
		s.log.Info("dns listening", "addr", a.String(), "proto", "udp+tcp")
	}
	<-ctx.Done()
	s.closing.Store(true)
	s.closeListeners()
	s.tcpConns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
	wg.Wait()
	s.inflight.Wait()
	close(s.stopped)
	s.view.Load().up.close()
	return ctx.Err()
}
