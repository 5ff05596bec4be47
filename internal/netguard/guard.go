// Package netguard keeps a listener alive and fair under floods: it wraps
// a net.Listener so that
//
//   - an accept error (out of file descriptors, a temporary kernel
//     shortage) backs off and retries, as net/http does, and never reaches
//     the server's accept loop, which would otherwise end the process;
//   - a connection from outside the allow-list is closed at accept, before
//     any byte of it is read;
//   - no client address holds more than Limits.PerClient connections, and
//     the listener no more than Limits.Total: a connection over a cap is
//     closed at accept.
//
// Refused connections are counted in schoolgate_connections_refused_total
// {listener, reason}. Nothing about a client (its address) is logged.
package netguard

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ErrLimits is wrapped by an error about Limits' values.
var ErrLimits = errors.New("bad connection limits")

// DefaultPerClient is Limits.PerClient when it is not set: far above what
// one browser opens (six per site, a few dozen in all), far below what
// shuts out a school.
const DefaultPerClient = 256

// Limits cap the connections a listener holds open at once.
type Limits struct {
	// PerClient is the most one client address may hold (0: DefaultPerClient).
	PerClient int
	// Total is the most the listener holds from all clients together
	// (0: DefaultTotal of the open-file limit).
	Total int
}

// DefaultTotal is a listener's Limits.Total when it is not set: a quarter
// of the process's open-file limit, so that the proxy, block page, admin
// and DNS-over-TCP listeners flooded all at once still leave descriptors
// for sites, upstreams and storage. It is at least 16.
func DefaultTotal(fileLimit uint64) int {
	return int(max(16, min(fileLimit/4, 1<<24)))
}

// Refusal reasons, the reason label of schoolgate_connections_refused_total.
const (
	ReasonOutside   = "outside_networks"
	ReasonPerClient = "per_client"
	ReasonTotal     = "total"
)

// Options configure a Guard.
type Options struct {
	// Name labels the metrics and log lines: proxy, blockpage, admin, dns.
	Name   string
	Limits Limits
	// FileLimit derives the default Total (0: the process's soft
	// RLIMIT_NOFILE, read now).
	FileLimit uint64
	// Allow, when set, is asked about every client address at accept; a
	// connection it refuses (or whose address cannot be read) is closed.
	// It must be fast and safe for concurrent use.
	Allow func(netip.Addr) bool
	// Registerer receives the metrics (nil: kept but not exported).
	Registerer prometheus.Registerer
	Log        *slog.Logger
}

// Guard is the accounting shared by the listeners it wraps (all of one
// service's addresses: the DNS server's TCP listeners share one).
type Guard struct {
	name      string
	allow     func(netip.Addr) bool
	log       *slog.Logger
	m         *metrics
	fileLimit uint64

	perClient atomic.Int64
	total     atomic.Int64
	// unix nanoseconds of the last warnings, which a flood would
	// otherwise repeat thousands of times a second
	warnedCap, warnedOutside, warnedAccept atomic.Int64

	mu     sync.Mutex
	open   int
	byAddr map[netip.Addr]int
}

// New builds a guard; Wrap puts it on listeners.
func New(o Options) (*Guard, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.FileLimit == 0 {
		o.FileLimit, _ = FileLimit()
	}
	m, err := newMetrics(o.Registerer, o.Name)
	if err != nil {
		return nil, err
	}
	g := &Guard{name: o.Name, allow: o.Allow, log: o.Log, m: m, fileLimit: o.FileLimit, byAddr: map[netip.Addr]int{}}
	if err := g.SetLimits(o.Limits); err != nil {
		return nil, err
	}
	return g, nil
}

// SetLimits changes the caps (a policy reload); connections already open
// stay open, and new ones are refused until the count is under the cap.
func (g *Guard) SetLimits(l Limits) error {
	if l.PerClient < 0 || l.Total < 0 {
		return fmt.Errorf("%w: %s: per client %d, total %d", ErrLimits, g.name, l.PerClient, l.Total)
	}
	if l.PerClient == 0 {
		l.PerClient = DefaultPerClient
	}
	if l.Total == 0 {
		l.Total = DefaultTotal(g.fileLimit)
	}
	g.perClient.Store(int64(l.PerClient))
	g.total.Store(int64(l.Total))
	return nil
}

// Limits are the caps in force, defaults filled in.
func (g *Guard) Limits() Limits {
	return Limits{PerClient: int(g.perClient.Load()), Total: int(g.total.Load())}
}

// Open is how many connections the guard's listeners hold now.
func (g *Guard) Open() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

// admit decides on a connection just accepted: it is wrapped (and counted
// until closed), or closed and counted as refused.
func (g *Guard) admit(c net.Conn) net.Conn {
	addr, ok := clientAddr(c)
	if g.allow != nil && (!ok || !g.allow(addr)) {
		g.refuse(c, ReasonOutside)
		return nil
	}
	if reason := g.take(addr); reason != "" {
		g.refuse(c, reason)
		return nil
	}
	g.m.open.Inc()
	return &Conn{Conn: c, g: g, addr: addr}
}

// take counts one more connection from addr, or names the cap it would
// exceed.
func (g *Guard) take(addr netip.Addr) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if int64(g.open) >= g.total.Load() {
		return ReasonTotal
	}
	n := g.byAddr[addr]
	if int64(n) >= g.perClient.Load() {
		return ReasonPerClient
	}
	g.byAddr[addr] = n + 1
	g.open++
	return ""
}

// release uncounts a closed connection from addr.
func (g *Guard) release(addr netip.Addr) {
	g.mu.Lock()
	if n := g.byAddr[addr]; n <= 1 {
		delete(g.byAddr, addr)
	} else {
		g.byAddr[addr] = n - 1
	}
	g.open--
	g.mu.Unlock()
	g.m.open.Dec()
}

// warnEvery spaces the warnings a flood causes.
const warnEvery = time.Minute

func (g *Guard) refuse(c net.Conn, reason string) {
	g.m.refused(reason) // counted before the client can see its end
	c.Close()
	if reason == ReasonOutside {
		// Once a minute at most (a scan would flood the log), and
		// without the address: enough to notice a network missing
		// from the allow-list.
		if due(&g.warnedOutside) {
			g.log.Warn("closed connections from outside the allowed networks at accept (see schoolgate_connections_refused_total)", "listener", g.name)
		}
		return
	}
	if due(&g.warnedCap) {
		l := g.Limits()
		g.log.Warn("connection cap reached: refusing new connections at accept (see schoolgate_connections_refused_total)",
			"listener", g.name, "cap", reason, "per_client", l.PerClient, "total", l.Total)
	}
}

// due reports whether a warning last given at *last may be given again,
// and if so marks it given now.
func due(last *atomic.Int64) bool {
	now := time.Now().UnixNano()
	was := last.Load()
	return now-was > int64(warnEvery) && last.CompareAndSwap(was, now)
}

// clientAddr is the connection's remote IP address, unmapped.
func clientAddr(c net.Conn) (netip.Addr, bool) {
	switch a := c.RemoteAddr().(type) {
	case *net.TCPAddr:
		ap := a.AddrPort()
		return ap.Addr().Unmap(), ap.Addr().IsValid()
	case nil:
		return netip.Addr{}, false
	}
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}
