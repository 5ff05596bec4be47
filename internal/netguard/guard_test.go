package netguard

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"schoolgate/internal/logtest"
)

// guarded is a real loopback listener under a guard, served by a loop
// that writes "ok" on every connection it is given and keeps it open.
type guarded struct {
	g    *Guard
	ln   net.Listener
	reg  *prometheus.Registry
	mu   sync.Mutex
	held []net.Conn
}

func startGuarded(t *testing.T, o Options) *guarded {
	t.Helper()
	reg := prometheus.NewRegistry()
	o.Registerer = reg
	if o.Name == "" {
		o.Name = "test"
	}
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &guarded{g: g, ln: g.Wrap(raw), reg: reg}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.held = append(s.held, c)
			s.mu.Unlock()
			c.Write([]byte("ok")) // held first: the client may look at once
		}
	}()
	t.Cleanup(func() {
		s.ln.Close()
		<-done
		s.mu.Lock()
		for _, c := range s.held {
			c.Close()
		}
		s.mu.Unlock()
	})
	return s
}

// dial connects from the loopback address from and reports whether the
// server admitted the connection ("ok") or closed it at accept (EOF).
func (s *guarded) dial(t *testing.T, from string) (net.Conn, bool) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", s.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [2]byte
	_, err = io.ReadFull(c, b[:])
	switch {
	case err == nil && string(b[:]) == "ok":
		return c, true
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		return c, false
	}
	t.Fatalf("dial from %s: neither admitted nor closed: %q %v", from, b, err)
	return nil, false
}

// closeHeld closes the server's side of the first connection it holds.
func (s *guarded) closeHeld(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.held) == 0 {
		t.Fatal("no connection held")
	}
	s.held[0].Close()
	s.held = s.held[1:]
}

func (s *guarded) refused(t *testing.T, reason string) float64 {
	return value(t, s.g.m.refusedBy[reason])
}

func TestPerClientCap(t *testing.T) {
	s := startGuarded(t, Options{Limits: Limits{PerClient: 2, Total: 100}})
	for i := range 2 {
		if _, ok := s.dial(t, "127.0.0.1"); !ok {
			t.Fatalf("connection %d from 127.0.0.1 refused under the cap", i+1)
		}
	}
	if _, ok := s.dial(t, "127.0.0.1"); ok {
		t.Fatal("third connection from 127.0.0.1 admitted over per_client 2")
	}
	if _, ok := s.dial(t, "127.0.0.2"); !ok {
		t.Fatal("127.0.0.2 shut out by 127.0.0.1's connections")
	}
	if got := s.refused(t, ReasonPerClient); got != 1 {
		t.Fatalf("refused per_client = %v, want 1", got)
	}
	// A closed connection frees its client's place.
	s.closeHeld(t)
	if _, ok := s.dial(t, "127.0.0.1"); !ok {
		t.Fatal("127.0.0.1 refused after one of its connections closed")
	}
	if got := s.g.Open(); got != 3 {
		t.Fatalf("open = %d, want 3", got)
	}
}

func TestTotalCap(t *testing.T) {
	s := startGuarded(t, Options{Limits: Limits{PerClient: 10, Total: 3}})
	for _, from := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		if _, ok := s.dial(t, from); !ok {
			t.Fatalf("%s refused under the total cap", from)
		}
	}
	if _, ok := s.dial(t, "127.0.0.4"); ok {
		t.Fatal("fourth connection admitted over total 3")
	}
	if got := s.refused(t, ReasonTotal); got != 1 {
		t.Fatalf("refused total = %v, want 1", got)
	}
	if got := value(t, s.g.m.open); got != 3 {
		t.Fatalf("schoolgate_connections_open = %v, want 3", got)
	}
	// Lowering the caps (a reload) refuses new connections until the
	// count is under them; raising them admits again.
	if err := s.g.SetLimits(Limits{PerClient: 10, Total: 2}); err != nil {
		t.Fatal(err)
	}
	s.closeHeld(t)
	if _, ok := s.dial(t, "127.0.0.4"); ok {
		t.Fatal("admitted at 2 open with total lowered to 2")
	}
	if err := s.g.SetLimits(Limits{PerClient: 10, Total: 4}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.dial(t, "127.0.0.4"); !ok {
		t.Fatal("refused after total raised to 4")
	}
}

func TestAllowList(t *testing.T) {
	school := netip.MustParsePrefix("127.0.0.1/32")
	s := startGuarded(t, Options{Allow: func(a netip.Addr) bool { return school.Contains(a) }})
	if _, ok := s.dial(t, "127.0.0.1"); !ok {
		t.Fatal("127.0.0.1 refused though allowed")
	}
	if _, ok := s.dial(t, "127.0.0.2"); ok {
		t.Fatal("127.0.0.2 admitted from outside the allow-list")
	}
	// Closed at accept: the server loop never saw the connection.
	if got := s.refused(t, ReasonOutside); got != 1 {
		t.Fatalf("refused outside_networks = %v, want 1", got)
	}
	s.mu.Lock()
	held := len(s.held)
	s.mu.Unlock()
	if held != 1 {
		t.Fatalf("server was given %d connections, want 1", held)
	}
}

func TestAllowListUnreadableAddressRefused(t *testing.T) {
	fl := &fakeListener{conns: make(chan net.Conn, 2), closed: make(chan struct{})}
	a, b := net.Pipe() // a pipe's address is not an IP: fail safe
	defer b.Close()
	fl.conns <- a
	g, err := New(Options{Name: "test", Allow: func(netip.Addr) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	ln := g.Wrap(fl)
	go func() { time.Sleep(50 * time.Millisecond); ln.Close() }()
	if c, err := ln.Accept(); err == nil {
		t.Fatalf("admitted %v with no readable address", c.RemoteAddr())
	}
	if got := value(t, g.m.refusedBy[ReasonOutside]); got != 1 {
		t.Fatalf("refused outside_networks = %v, want 1", got)
	}
}

func TestSetLimitsRejectsNegative(t *testing.T) {
	g, err := New(Options{Name: "test", FileLimit: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Limits(); got != (Limits{PerClient: DefaultPerClient, Total: 256}) {
		t.Fatalf("defaults with a 1024 file limit = %+v", got)
	}
	if err := g.SetLimits(Limits{PerClient: -1}); !errors.Is(err, ErrLimits) {
		t.Fatalf("negative per_client: %v, want ErrLimits", err)
	}
	if _, err := New(Options{Name: "x", Limits: Limits{Total: -5}}); !errors.Is(err, ErrLimits) {
		t.Fatalf("negative total: %v, want ErrLimits", err)
	}
}

// TestCloseAccounting closes every admitted connection from both ends at
// once, several times over (run it with -race): each is uncounted once.
func TestCloseAccounting(t *testing.T) {
	const clients, each = 8, 25
	s := startGuarded(t, Options{Limits: Limits{PerClient: each, Total: clients * each}})
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from := netip.AddrFrom4([4]byte{127, 0, 1, byte(i + 1)}).String()
			for range each {
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
				c, err := d.Dial("tcp", s.ln.Addr().String())
				if err != nil {
					t.Error(err)
					return
				}
				var b [2]byte
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := io.ReadFull(c, b[:]); err != nil {
					t.Errorf("from %s: %v", from, err)
				}
				c.Close()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	s.mu.Lock()
	held := s.held
	s.held = nil
	s.mu.Unlock()
	if len(held) != clients*each {
		t.Fatalf("server holds %d, want %d", len(held), clients*each)
	}
	var cwg sync.WaitGroup
	for _, c := range held {
		for range 3 {
			cwg.Add(1)
			go func() { defer cwg.Done(); c.Close() }()
		}
	}
	cwg.Wait()
	if got := s.g.Open(); got != 0 {
		t.Fatalf("open after closing all = %d, want 0", got)
	}
	s.g.mu.Lock()
	left := len(s.g.byAddr)
	s.g.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d client addresses still counted", left)
	}
	if got := value(t, s.g.m.open); got != 0 {
		t.Fatalf("schoolgate_connections_open = %v, want 0", got)
	}
}

func TestMetricsShareARegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	for _, name := range []string{"proxy", "dns", "proxy"} {
		if _, err := New(Options{Name: name, Registerer: reg}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		if mf.GetName() == "schoolgate_connections_refused_total" {
			n = len(mf.GetMetric())
		}
	}
	if n != 6 { // 2 listeners × 3 reasons
		t.Fatalf("%d refused series, want 6", n)
	}
}

// value reads a counter's or gauge's value.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	switch {
	case d.Counter != nil:
		return d.Counter.GetValue()
	case d.Gauge != nil:
		return d.Gauge.GetValue()
	}
	t.Fatalf("%v is neither a counter nor a gauge", m.Desc())
	return 0
}

// TestRefusalsWarnOnceWithoutAddresses: a flood of refusals gives one
// warning per kind (a minute apart at most), naming the listener and the
// cap but never the client.
func TestRefusalsWarnOnceWithoutAddresses(t *testing.T) {
	var logs logtest.Buffer
	s := startGuarded(t, Options{
		Name:   "proxy",
		Limits: Limits{PerClient: 1, Total: 10},
		Allow:  func(a netip.Addr) bool { return a != netip.MustParseAddr("127.0.0.7") },
		Log:    slog.New(slog.NewTextHandler(&logs, nil)),
	})
	s.dial(t, "127.0.0.5")
	for range 3 {
		if _, ok := s.dial(t, "127.0.0.5"); ok {
			t.Fatal("admitted over per_client 1")
		}
		if _, ok := s.dial(t, "127.0.0.7"); ok {
			t.Fatal("admitted from outside the allow-list")
		}
	}
	out := logs.String()
	if n := strings.Count(out, "connection cap reached"); n != 1 {
		t.Errorf("%d cap warnings for 3 refusals, want 1:\n%s", n, out)
	}
	if n := strings.Count(out, "outside the allowed networks"); n != 1 {
		t.Errorf("%d allow-list warnings for 3 refusals, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "listener=proxy cap=per_client per_client=1 total=10") {
		t.Errorf("cap warning lacks the listener and caps:\n%s", out)
	}
	if strings.Contains(out, "127.0.0.5") || strings.Contains(out, "127.0.0.7") {
		t.Errorf("the log names a client:\n%s", out)
	}
}
