package dnsfilter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"schoolgate/internal/dnsfilter/dnstest"
)

// fakeUpstream is a UDP upstream whose answers a test writes by hand:
// handle gets each query and the address it came from, and answers (or
// not, or wrongly) on conn.
type fakeUpstream struct {
	conn *net.UDPConn
}

func startFake(t *testing.T, handle func(c *net.UDPConn, q *dns.Msg, from netip.AddrPort)) *fakeUpstream {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			q := new(dns.Msg)
			if q.Unpack(buf[:n]) != nil {
				continue
			}
			handle(c, q, from)
		}
	}()
	return &fakeUpstream{conn: c}
}

func (f *fakeUpstream) addr() string { return f.conn.LocalAddr().String() }

// send packs m and sends it to addr from c.
func send(t *testing.T, c *net.UDPConn, m *dns.Msg, to netip.AddrPort) {
	b, err := m.Pack()
	if err != nil {
		t.Error(err)
		return
	}
	if _, err := c.WriteToUDPAddrPort(b, to); err != nil {
		t.Error(err)
	}
}

func query(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.SetEdns0(ednsSize, false)
	return m
}

func exchangeCtx(t *testing.T, p *udpPool, name string, qtype uint16, timeout time.Duration) (*dns.Msg, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	wire, err := p.exchange(ctx, query(name, qtype))
	if err != nil {
		return nil, err
	}
	r := new(dns.Msg)
	if err := r.Unpack(wire); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r, nil
}

// TestUDPPoolConcurrent: many goroutines at once, every answer the one
// for its own question (run with -race).
func TestUDPPoolConcurrent(t *testing.T) {
	up, err := dnstest.Start("127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	p := newUDPPool(up.Addr())
	p.uses = 20 // rotate sockets while queries are in flight
	defer p.close()
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 40 {
				name := fmt.Sprintf("h%d-%d.concurrent.test", g, i)
				r, err := exchangeCtx(t, p, name, dns.TypeA, 5*time.Second)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					return
				}
				if firstAddr(r) != dnstest.AddrFor(name) || r.Question[0].Name != name+"." {
					t.Errorf("%s: got the answer %v", name, r)
				}
			}
		})
	}
	wg.Wait()
	if n := p.unwanted.Load(); n != 0 {
		t.Errorf("%d answers unwanted", n)
	}
}

// TestUDPPoolInterleaved: the upstream answers a burst of queries in
// reverse order; each answer still reaches the query it answers.
func TestUDPPoolInterleaved(t *testing.T) {
	const n = 50
	var mu sync.Mutex
	var held []*dns.Msg
	var from []netip.AddrPort
	f := startFake(t, func(c *net.UDPConn, q *dns.Msg, addr netip.AddrPort) {
		mu.Lock()
		defer mu.Unlock()
		held, from = append(held, q), append(from, addr)
		if len(held) < n {
			return
		}
		for i := len(held) - 1; i >= 0; i-- {
			send(t, c, dnstest.Answer(held[i], 60), from[i])
		}
	})
	p := newUDPPool(f.addr())
	defer p.close()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("i%d.interleaved.test", i)
			r, err := exchangeCtx(t, p, name, dns.TypeA, 5*time.Second)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				return
			}
			if firstAddr(r) != dnstest.AddrFor(name) {
				t.Errorf("%s: got %v", name, firstAddr(r))
			}
		})
	}
	wg.Wait()
}

// TestUDPPoolSpoofed: answers with another ID, another question, another
// type, or from another port are all ignored; the real answer, even with
// the name in another case, is taken.
func TestUDPPoolSpoofed(t *testing.T) {
	spoofer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer spoofer.Close()
	evil := func(q *dns.Msg) *dns.Msg {
		m := dnstest.Answer(q, 60)
		for _, rr := range m.Answer {
			if a, ok := rr.(*dns.A); ok {
				a.A = net.IPv4(6, 6, 6, 6)
			}
		}
		return m
	}
	f := startFake(t, func(c *net.UDPConn, q *dns.Msg, from netip.AddrPort) {
		wrongID := evil(q)
		wrongID.Id = q.Id + 1
		other := q.Copy()
		other.Question[0].Name = "other.spoof.test."
		wrongName := evil(other)
		wrongName.Id = q.Id
		aaaa := q.Copy()
		aaaa.Question[0].Qtype = dns.TypeAAAA
		wrongType := evil(aaaa)
		notResponse := evil(q)
		notResponse.Response = false
		send(t, spoofer, evil(q), from) // right ID and question, wrong port
		for _, m := range []*dns.Msg{wrongID, wrongName, wrongType, notResponse} {
			send(t, c, m, from)
		}
		real := dnstest.Answer(q, 60)
		real.Question[0].Name = "WWW.Spoof.TEST."
		send(t, c, real, from)
	})
	p := newUDPPool(f.addr())
	defer p.close()
	for i := range 20 {
		r, err := exchangeCtx(t, p, "www.spoof.test", dns.TypeA, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if got := firstAddr(r); got != dnstest.AddrFor("www.spoof.test") {
			t.Fatalf("query %d: took a spoofed answer (%v)", i, got)
		}
	}
	// The kernel drops the wrong port's answers (connected sockets); the
	// pool drops the other four of each query. Wait for the stragglers.
	deadline := time.Now().Add(2 * time.Second)
	for p.unwanted.Load() < 20*4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := p.unwanted.Load(); n != 20*4 {
		t.Errorf("%d answers dropped, want %d", n, 20*4)
	}
}

// recorder is an upstream that answers everything and records each
// query's source port and ID.
type recorder struct {
	mu    sync.Mutex
	ports map[uint16]int
	ids   []uint16
}

func startRecorder(t *testing.T) (*fakeUpstream, *recorder) {
	rec := &recorder{ports: map[uint16]int{}}
	f := startFake(t, func(c *net.UDPConn, q *dns.Msg, from netip.AddrPort) {
		rec.mu.Lock()
		rec.ports[from.Port()]++
		rec.ids = append(rec.ids, q.Id)
		rec.mu.Unlock()
		send(t, c, dnstest.Answer(q, 0), from)
	})
	return f, rec
}

// TestUDPPoolRandomness: many queries use many source ports, spread over
// the ephemeral range, and IDs without pattern.
func TestUDPPoolRandomness(t *testing.T) {
	f, rec := startRecorder(t)
	p := newUDPPool(f.addr())
	p.uses = 25
	defer p.close()
	const n = 4000
	for i := range n {
		if _, err := exchangeCtx(t, p, fmt.Sprintf("r%d.random.test", i), dns.TypeA, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	// 4000 queries, 25 a socket: 160 sockets, each its own port.
	if len(rec.ports) < 150 {
		t.Errorf("%d distinct source ports for %d queries", len(rec.ports), n)
	}
	// (A port may come back: 160 draws from the range repeat by chance.)
	lo, hi := uint16(65535), uint16(0)
	for port := range rec.ports {
		lo, hi = min(lo, port), max(hi, port)
	}
	if hi-lo < 4000 { // Linux's ephemeral range is 28,232 ports
		t.Errorf("source ports all within %d-%d: not random", lo, hi)
	}
	// 4000 draws from 65,536 IDs repeat about 120 times (birthday).
	seen, sequential := map[uint16]bool{}, 0
	for i, id := range rec.ids {
		seen[id] = true
		if i > 0 && (id-rec.ids[i-1] == 1 || id == rec.ids[i-1]) {
			sequential++
		}
	}
	if len(seen) < n-250 || sequential > 10 {
		t.Errorf("%d distinct IDs in %d queries, %d follow their predecessor", len(seen), n, sequential)
	}
	// Every ID bit is set in about half the queries.
	for bit := range 16 {
		ones := 0
		for _, id := range rec.ids {
			ones += int(id >> bit & 1)
		}
		if ones < n*4/10 || ones > n*6/10 {
			t.Errorf("ID bit %d set in %d of %d queries", bit, ones, n)
		}
	}
}

// TestUDPPoolRotation: a socket is replaced after its share of queries
// and after its age, and replaced sockets are closed.
func TestUDPPoolRotation(t *testing.T) {
	f, rec := startRecorder(t)
	p := newUDPPool(f.addr())
	p.uses = 3
	defer p.close()
	fds := openFDs(t)
	for i := range poolSockets * 3 * 20 {
		if _, err := exchangeCtx(t, p, fmt.Sprintf("u%d.rotate.test", i), dns.TypeA, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	rec.mu.Lock()
	if len(rec.ports) < poolSockets*20*9/10 { // a port may come back by chance
		t.Errorf("%d ports for %d sockets' worth of queries", len(rec.ports), poolSockets*20)
	}
	rec.mu.Unlock()
	if fds >= 0 {
		if now := openFDs(t); now > fds+poolSockets+2 {
			t.Errorf("%d descriptors open, %d before: replaced sockets are not closed", now, fds)
		}
	}

	// By age: every query after the pause uses a new port.
	p.uses, p.age = 1000, 100*time.Millisecond
	ports := func() map[uint16]bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		m := map[uint16]bool{}
		for port := range rec.ports {
			m[port] = true
		}
		return m
	}
	for i := range poolSockets {
		if _, err := exchangeCtx(t, p, fmt.Sprintf("a%d.rotate.test", i), dns.TypeA, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	before := ports()
	time.Sleep(150 * time.Millisecond)
	for i := range poolSockets {
		if _, err := exchangeCtx(t, p, fmt.Sprintf("b%d.rotate.test", i), dns.TypeA, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// Without rotation by age: none. (A new port may be one seen before.)
	if added := len(ports()) - len(before); added < poolSockets/2 {
		t.Errorf("%d new ports after the sockets' age, want about %d", added, poolSockets)
	}
}

// openFDs counts this process's open descriptors, or -1 where /proc is
// missing.
func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// TestUDPPoolTimeout: an upstream that never answers costs the timeout,
// not more, and leaves nothing waiting; a closed port fails at once.
func TestUDPPoolTimeout(t *testing.T) {
	f := startFake(t, func(*net.UDPConn, *dns.Msg, netip.AddrPort) {})
	p := newUDPPool(f.addr())
	defer p.close()
	start := time.Now()
	_, err := exchangeCtx(t, p, "never.test", dns.TypeA, 200*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("silent upstream: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("silent upstream took %v with a 200 ms timeout", d)
	}
	for i := range p.slots {
		if s := p.slots[i].Load(); s != nil {
			s.mu.Lock()
			if len(s.pending) != 0 {
				t.Errorf("socket %d: %d queries still waiting", i, len(s.pending))
			}
			s.mu.Unlock()
		}
	}

	// A port nobody listens on: refused (ICMP) long before the timeout.
	free := f.addr()
	f.conn.Close()
	q := newUDPPool(free)
	defer q.close()
	start = time.Now()
	if _, err := exchangeCtx(t, q, "refused.test", dns.TypeA, 5*time.Second); err == nil {
		t.Error("a closed port answered")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a closed port took %v to fail", d)
	}

	// After close, queries fail at once.
	p.close()
	if _, err := exchangeCtx(t, p, "closed.test", dns.TypeA, time.Second); !errors.Is(err, errPoolClosed) {
		t.Errorf("after close: %v", err)
	}
}

// TestPackQuery: the resolver's own queries are packed exactly as
// miekg/dns packs them; anything else is left to miekg/dns.
func TestPackQuery(t *testing.T) {
	for _, c := range []struct {
		name      string
		qtype     uint16
		cd, do    bool
		edns, fqd bool
	}{
		{"www.example.test", dns.TypeA, false, false, true, true},
		{"WWW.Example.TEST", dns.TypeAAAA, true, true, true, true},
		{"a.b", dns.TypeHTTPS, false, true, true, false},
		{"x.test", dns.TypeMX, true, false, false, true},
	} {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(c.name), c.qtype)
		m.RecursionDesired = true
		m.CheckingDisabled = c.cd
		if c.edns {
			m.SetEdns0(ednsSize, c.do)
		}
		m.Id = 0
		want, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		got, ok := packQuery(nil, m)
		if !ok || string(got) != string(want) {
			t.Errorf("%+v: packed\n%x, want\n%x", c, got, want)
		}
	}
	odd := []func(*dns.Msg){
		func(m *dns.Msg) { m.Question[0].Name = `a\.b.test.` },
		func(m *dns.Msg) { m.Question[0].Name = "." },
		func(m *dns.Msg) {
			m.Extra[0].(*dns.OPT).Option = []dns.EDNS0{&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"}}
		},
		func(m *dns.Msg) { m.Question = append(m.Question, m.Question[0]) },
		func(m *dns.Msg) { m.Opcode = dns.OpcodeNotify },
	}
	for i, edit := range odd {
		m := query("www.example.test", dns.TypeA)
		edit(m)
		if _, ok := packQuery(nil, m); ok {
			t.Errorf("odd message %d packed by packQuery", i)
		}
	}
}
