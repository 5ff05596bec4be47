package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"schoolgate/internal/activity"
)

// sustainedMix is a school's traffic as the writer sees it: 3,000 clients,
// 1,500 users, 200,000 hosts drawn from a Zipf distribution (a few very
// popular, a long tail), a tenth in a category, a third through the proxy.
type sustainedMix struct {
	hosts   []string
	users   []string
	clients []netip.Addr
	zipf    *rand.Zipf
	rng     *rand.Rand
}

func newSustainedMix(seed uint64) *sustainedMix {
	m := &sustainedMix{rng: rand.New(rand.NewPCG(seed, 1))}
	m.zipf = rand.NewZipf(m.rng, 1.1, 4, 200_000-1)
	m.hosts = make([]string, 200_000)
	tlds := []string{"com", "co.uk", "org", "net", "sch.uk", "io"}
	for i := range m.hosts {
		m.hosts[i] = "www." + strconv.FormatUint(uint64(i)*2654435761%1_000_003, 36) + "-site." + tlds[i%len(tlds)]
	}
	for i := range 1500 {
		m.users = append(m.users, fmt.Sprintf("pupil%04d", i))
	}
	for i := range 3000 {
		m.clients = append(m.clients, netip.AddrFrom4([4]byte{10, 20, byte(i / 250), byte(i % 250)}))
	}
	return m
}

var sustainedCats = []string{"games", "social-media", "shopping", "streaming", "adult", "gambling"}

func (m *sustainedMix) event(at time.Time) activity.Event {
	h := m.zipf.Uint64()
	e := activity.Event{Time: at, Client: m.clients[m.rng.IntN(len(m.clients))], Host: m.hosts[h],
		Verdict: "allow", Rule: "default", Point: activity.PointDNS, Groups: []string{"pupils-ks3"}}
	if m.rng.IntN(3) == 0 {
		e.User, e.Point, e.URL = m.users[m.rng.IntN(len(m.users))], activity.PointProxy, "https://"+e.Host+"/index.html"
	}
	if h%10 == 7 {
		c := sustainedCats[h/10%uint64(len(sustainedCats))]
		e.Categories, e.Verdict, e.Rule = []string{c}, "block", "rules."+c+".pupils-ks3"
	}
	return e
}

// BenchmarkIngestSustained drives the real activity.Writer over the store
// as fast as it will take events, for SCHOOLGATE_BENCH_SUSTAINED events
// (say 5000000; skipped when unset), and reports the rate over the whole
// run, over its last fifth, when the table and its indexes are largest,
// and over its slowest fifth; then how fast Rollup makes the hourly
// aggregates of it all.
// The producer waits while the queue is over half full, so nothing is
// dropped: the figure is what the writer sustains, not what it sheds.
// Event times advance by 5 ms an event (a busy school's day compressed).
func BenchmarkIngestSustained(b *testing.B) {
	total, _ := strconv.Atoi(os.Getenv("SCHOOLGATE_BENCH_SUSTAINED"))
	if total <= 0 {
		b.Skip("set SCHOOLGATE_BENCH_SUSTAINED to a number of events (5000000 takes about a minute)")
	}
	b.Run("sqlite", func(b *testing.B) {
		s := openBench(b, Options{SQLitePath: filepath.Join(b.TempDir(), "b.db")})
		benchSustained(b, s, total)
	})
	b.Run("postgres", func(b *testing.B) {
		s := openBench(b, Options{PostgresDSN: PostgresTestDSN(b)})
		benchSustained(b, s, total)
	})
}

func openBench(b *testing.B, opt Options) *Store {
	s, err := Open(context.Background(), opt)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchSustained(b *testing.B, s *Store, total int) {
	if b.N > 1 {
		b.Skip("one run is the measurement: use -benchtime 1x")
	}
	w, err := activity.NewWriter(s, activity.WriterOptions{Writers: s.WriteConcurrency()})
	if err != nil {
		b.Fatal(err)
	}
	mix := newSustainedMix(1)
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	const fifths = 5
	per := total / fifths
	// A monitor notes when each fifth of the events has been written.
	marks := make(chan time.Time, fifths)
	go func() {
		for next := uint64(per); next <= uint64(per*fifths); {
			if w.Written() >= next {
				marks <- time.Now()
				next += uint64(per)
				continue
			}
			time.Sleep(2 * time.Millisecond)
		}
		close(marks)
	}()
	start := time.Now()
	for range total {
		for w.Queued() > 1<<16 {
			time.Sleep(200 * time.Microsecond)
		}
		w.Log(mix.event(at))
		at = at.Add(5 * time.Millisecond)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	if w.Dropped() != 0 {
		b.Fatalf("%d events dropped", w.Dropped())
	}
	var rates []float64
	prev := start
	for m := range marks {
		rates = append(rates, float64(per)/m.Sub(prev).Seconds())
		prev = m
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "events/s")
	b.ReportMetric(rates[len(rates)-1], "last-fifth-events/s")
	b.ReportMetric(slices.Min(rates), "slowest-fifth-events/s")
	b.Logf("%d events in %s; per fifth: %.0f events/s", total, elapsed.Round(time.Millisecond), rates)

	// Then the hourly aggregates of all those hours, as the background
	// job makes them once each hour ends: its rate against the ingestion
	// rate is its share of the work.
	rolled := time.Now()
	rep, err := s.Rollup(context.Background(), at.Add(2*time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	if rep.Events != int64(total) {
		b.Fatalf("rolled up %d events of %d", rep.Events, total)
	}
	b.ReportMetric(float64(rep.Events)/time.Since(rolled).Seconds(), "rollup-events/s")
	b.Logf("rolled up %d hours, %d events, into %d aggregate rows in %s", rep.Hours, rep.Events, rep.Rows, time.Since(rolled).Round(time.Millisecond))
}
