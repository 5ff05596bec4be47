package alerts

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/store"
)

// nullStore takes hits and stores nothing (the benchmark measures the
// rules, not the database).
type nullStore struct{ memAlerts }

func (*nullStore) RaiseAlert(context.Context, store.AlertHit) (int64, bool, error) {
	return 1, false, nil
}

// BenchmarkRules is events per second (of wall time, and of CPU time,
// which a loaded machine does not distort) through a starter-sized rule
// set on one goroutine, live path included (fingerprint, rules, pending hits,
// a flush every 10,000 events): a school's mix of mostly allowed DNS
// lookups, some blocks, a few searches.
func BenchmarkRules(b *testing.B) {
	c := testPolicy(b, ruleSet)
	rs, err := Compile(c, wordMatcher{"self-harm": {"hurt myself", "self harm"}})
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(rs, Options{Store: &nullStore{}})
	if err != nil {
		b.Fatal(err)
	}
	e.owner, e.catching = true, false
	t0 := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	events := make([]activity.Event, 1024)
	for i := range events {
		ev := activity.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), Client: netip.AddrFrom4([4]byte{10, 20, byte(i >> 8), byte(i)}),
			User: fmt.Sprintf("pupil%d", i%300), Groups: []string{"pupils"}, Host: fmt.Sprintf("h%d.example", i), Verdict: "allow", Point: activity.PointDNS}
		switch {
		case i%50 == 0:
			ev.Categories, ev.Verdict = []string{"gambling"}, "block"
		case i%20 == 0:
			ev.Categories, ev.Verdict = []string{"games"}, "block"
		case i%100 == 1:
			ev.Search, ev.Point = "homework help fractions", activity.PointProxy
		}
		events[i] = ev
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for i := 0; i < b.N; i++ {
		it := item{ev: events[i&1023]}
		it.ev.Time = it.ev.Time.Add(time.Duration(i>>10) * time.Second)
		e.live(&it)
		if i%10_000 == 0 {
			e.flush(context.Background())
			clear(e.seenLive)
		}
	}
	b.StopTimer()
	cpu := cpuTime(b) - cpu0
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
}
