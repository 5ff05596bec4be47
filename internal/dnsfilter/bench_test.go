package dnsfilter

import (
	"fmt"
	"strings"
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
		} {
			m := new(dns.Msg)
			m.SetQuestion(c.host, dns.TypeA)
			m.SetEdns0(1232, false)
			raw, _ := m.Pack()
			e.handle(raw, "127.0.0.2") // warm the cache
			b.Run(fmt.Sprintf("%s/log=%v", c.name, logging), func(b *testing.B) {
				b.ReportAllocs()
				s := e.srv
				for b.Loop() {
					r := s.getRequest()
					r.raw = append(r.in[:0], raw...)
					r.client = e.clientAddr
					s.begin(r)
					s.runChain(r)
					s.finish(r)
					s.putRequest(r)
				}
			})
		}
	}
}
