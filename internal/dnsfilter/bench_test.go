package dnsfilter

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"

	"schoolgate/internal/activity"
)

// benchEntries is the size of the generated gambling list in the
// benchmarks (the target load is 1,000,000).
const benchEntries = 1_000_000

// startBench runs a resolver whose gambling category holds benchEntries
// generated names (b0.gambling-N.test ...).
func startBench(b *testing.B, logQueries bool) *testEnv {
	e := startTest(b, func(s string) string {
		if !logQueries {
			s += "  log_queries: false\n"
		}
		return strings.Replace(s, "gambling.txt", "big-gambling.txt", 1)
	})
	// A sink like the activity writer: a bounded channel, dropping when
	// full, drained by a goroutine.
	ch := make(chan activity.Event, 4096)
	done := make(chan struct{})
	go func() {
		for range ch {
		}
		close(done)
	}()
	b.Cleanup(func() { close(ch); <-done })
	e.srv.sink = chanSink(ch)
	return e
}

type chanSink chan activity.Event

func (c chanSink) Log(e activity.Event) {
	select {
	case c <- e:
	default:
	}
}

func writeBigList(b *testing.B) {
	var sb strings.Builder
	for i := range benchEntries {
		fmt.Fprintf(&sb, "site%d.gambling.test\n", i)
	}
	testLists["big-gambling.txt"] = sb.String()
}

// BenchmarkHandle measures the whole chain without sockets: parse,
// identify, policy decision against 1M entries, then a cache hit (allowed)
// or a block answer.
func BenchmarkHandle(b *testing.B) {
	writeBigList(b)
	defer delete(testLists, "big-gambling.txt")
	for _, logging := range []bool{false, true} {
		e := startBench(b, logging)
		for _, c := range []struct{ name, host string }{
			{"allowed-cached", "www.example.test."},
			{"blocked", "www.site777.gambling.test."},
			// The answer's CNAME target is decided too (cloaking).
			{"alias-cached", "www--example--test.cname.test."},
			{"alias-blocked", "www--site777--gambling--test.cname.test."},
		} {
			m := new(dns.Msg)
			m.SetQuestion(c.host, dns.TypeA)
			m.SetEdns0(1232, false)
			raw, _ := m.Pack()
			e.handle(raw, "127.0.0.2") // warm the cache
			b.Run(fmt.Sprintf("%s/log=%v", c.name, logging), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					e.handleRaw(raw)
				}
			})
		}
	}
}

// handleRaw runs one query through the chain as a pupil, without sockets
// and without waiting on an upstream (a cache miss is parked, unanswered),
// and says how it was answered.
func (e *testEnv) handleRaw(raw []byte) (res result, cached bool) {
	s := e.srv
	r := s.getRequest()
	r.raw = append(r.in[:0], raw...)
	r.client = e.clientAddr
	s.begin(r)
	s.runChain(r)
	res, cached = r.res, r.cached
	s.finish(r)
	s.putRequest(r)
	return res, cached
}

// TestHandleNoAllocs: with logging off, a query answered from the cache
// or blocked, its CNAME targets decided too, allocates nothing.
func TestHandleNoAllocs(t *testing.T) {
	e := startTest(t, func(s string) string { return s + "  log_queries: false\n" })
	for _, c := range []struct {
		host   string
		res    result
		cached bool
	}{
		{"cached.test.", resAllowed, true},
		{"www.bet.test.", resBlocked, false},
		{"www--ok--test.cname.test.", resAllowed, true},
		{"www--bet--test.cname.test.", resBlocked, true}, // the alias, from the cache
	} {
		m := new(dns.Msg)
		m.SetQuestion(c.host, dns.TypeA)
		m.SetEdns0(1232, false)
		raw, _ := m.Pack()
		e.handle(raw, "127.0.0.2") // warm the cache
		if res, cached := e.handleRaw(raw); res != c.res || cached != c.cached {
			t.Fatalf("%s: %s (cached %v), want %s (cached %v)", c.host, resultNames[res], cached, resultNames[c.res], c.cached)
		}
		if n := testing.AllocsPerRun(100, func() { e.handleRaw(raw) }); n != 0 {
			t.Errorf("%s: %v allocations a query", c.host, n)
		}
	}
}

// BenchmarkForwardMiss measures the cache-miss path: every query goes to
// a loopback upstream that answers with TTL 0 (so nothing is cached),
// from many goroutines at once, as parked misses do under load.
func BenchmarkForwardMiss(b *testing.B) {
	e := startTest(b, func(s string) string { return s + "  log_queries: false\n" })
	e.up.TTL = 0
	v := e.srv.view.Load()
	names := make([]string, 4096)
	for i := range names {
		names[i] = fmt.Sprintf("host%d.miss.test", i)
	}
	var next atomic.Uint32
	b.ReportAllocs()
	b.SetParallelism(8)
	cpu0 := cpuTime(b)
	b.ResetTimer()
	defer func() {
		// CPU time (this process: resolver and upstream) per query is
		// steadier than wall time on a shared machine.
		b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			name := names[next.Add(1)%uint32(len(names))]
			if _, err := e.srv.resolve(cacheKey{name: name, qtype: dns.TypeA}, v); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
