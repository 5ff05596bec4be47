package alerts

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/keywords"
	"schoolgate/internal/store"
)

// timedStore notes when each person's first alert was stored.
type timedStore struct {
	*store.Store
	mu     sync.Mutex
	stored map[string]time.Time
}

func (s *timedStore) RaiseAlert(ctx context.Context, h store.AlertHit) (int64, bool, error) {
	id, created, err := s.Store.RaiseAlert(ctx, h)
	if err == nil {
		s.mu.Lock()
		if _, ok := s.stored[h.User]; !ok {
			s.stored[h.User] = time.Now()
		}
		s.mu.Unlock()
	}
	return id, created, err
}

// TestAlertLatencyUnderLoad measures issue 12's target: an alert stored
// within 1 s of its event at the 99th percentile, with 200,000 events a
// second going through the rules and 5,000 keyword phrases, into a real
// SQLite store. Opt-in (SCHOOLGATE_BENCH_ALERTS=1; SCHOOLGATE_BENCH_RATE
// and SCHOOLGATE_BENCH_SECONDS change the load): a measurement for
// BENCHMARKS.md, not a test CI runs.
func TestAlertLatencyUnderLoad(t *testing.T) {
	if os.Getenv("SCHOOLGATE_BENCH_ALERTS") == "" {
		t.Skip("set SCHOOLGATE_BENCH_ALERTS=1 to measure")
	}
	rate, seconds := 200_000, 10
	fmt.Sscan(os.Getenv("SCHOOLGATE_BENCH_RATE"), &rate)
	fmt.Sscan(os.Getenv("SCHOOLGATE_BENCH_SECONDS"), &seconds)
	phrases := make([]string, 5000)
	for i := range phrases {
		phrases[i] = fmt.Sprintf("zq%dx harm%d", i, i%89)
	}
	kw, err := keywords.Compile([]keywords.List{{Name: "self-harm", Phrases: phrases}})
	if err != nil {
		t.Fatal(err)
	}
	// The example rules (the night-owl rule of ruleSet would
	// raise one alert per pupil at night and measure that instead).
	rs, err := Compile(testPolicy(t, `alerts:
  rules:
    - {name: gambling-attempts, title: Gambling sites, severity: 3, groups: [pupils], category: [gambling]}
    - {name: self-harm-searches, title: Self-harm searches, severity: 4, search: [self-harm]}
    - {name: games-repeated, severity: 2, category: [games], threshold: {count: 3, window: 10m}}
keywords:
  self-harm: {sources: [{path: keywords/self-harm.txt}]}
`), kw)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(t.TempDir(), "sg.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts := &timedStore{Store: st, stored: map[string]time.Time{}}
	e, err := New(rs, Options{Store: ts, Holder: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Run(ctx)
	time.Sleep(200 * time.Millisecond) // the cursor claimed

	const tick = 10 * time.Millisecond
	per := rate * int(tick) / int(time.Second)
	logged := map[string]time.Time{}
	start := time.Now()
	n := 0
	for next := start; time.Since(start) < time.Duration(seconds)*time.Second; next = next.Add(tick) {
		time.Sleep(time.Until(next))
		for range per {
			ev := activity.Event{Time: time.Now(), Client: netip.AddrFrom4([4]byte{10, 20, byte(n >> 8), byte(n)}),
				User: fmt.Sprintf("pupil%d", n%3000), Groups: []string{"pupils"}, Host: "h.example", Verdict: "allow", Point: activity.PointDNS}
			if n%2000 == 0 { // one search in 2,000 matches a phrase: a new alert for a new person
				ev.User = fmt.Sprintf("hit%d", n)
				ev.Search, ev.Point = fmt.Sprintf("how do i zq%dx harm%d", n%5000, (n%5000)%89), activity.PointProxy
				logged[ev.User] = time.Now()
			}
			e.Log(ev)
			n++
		}
	}
	sent := time.Since(start)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ts.mu.Lock()
		done := len(ts.stored) >= len(logged)
		ts.mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.mu.Lock()
	var lat []time.Duration
	for u, at := range logged {
		if s, ok := ts.stored[u]; ok {
			lat = append(lat, s.Sub(at))
		}
	}
	ts.mu.Unlock()
	slices.Sort(lat)
	if len(lat) == 0 {
		t.Fatal("no alert stored")
	}
	p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	t.Logf("%d events in %v (%.0f/s offered), %d dropped; %d of %d alerts stored; event → stored alert p50 %v, p99 %v, max %v",
		n, sent.Round(time.Millisecond), float64(n)/sent.Seconds(), e.Dropped(), len(lat), len(logged),
		p(0.5).Round(time.Millisecond), p(0.99).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	if len(lat) < len(logged) {
		t.Errorf("%d alerts never stored", len(logged)-len(lat))
	}
	if p(0.99) > time.Second {
		t.Errorf("p99 %v > 1 s", p(0.99))
	}
}
