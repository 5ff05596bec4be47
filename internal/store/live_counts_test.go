package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestLiveCounts counts the hour in progress once: a second summary reads
// only the events written since the first, yet every event is counted,
// including a batch written late (its events older than the running
// counts), and the counts agree with the roll-up once the hour ends.
func TestLiveCounts(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock() // 09:00
		s := open(clk.Now)
		total := func() int64 {
			t.Helper()
			rows, err := s.Summarize(ctx, Actor{Name: "esafety"}, DefaultSite, clk.Now().Add(-24*time.Hour), time.Time{}, []string{"verdict"})
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			for _, r := range rows {
				n += r.Count
			}
			return n
		}
		scanned := func() int64 { return s.live.scanned.Load() }

		// 3,000 events from 09:00:00 to 09:00:03; the clock at 09:10.
		if err := s.InsertEvents(ctx, benchEvents(3000, clk.Now())); err != nil {
			t.Fatal(err)
		}
		clk.Add(10 * time.Minute)
		if got := total(); got != 3000 {
			t.Fatalf("first summary: %d events, want 3000", got)
		}
		if got := scanned(); got != 3000 {
			t.Fatalf("first summary scanned %d events, want 3000", got)
		}

		// 500 more at 09:10 (just now: the tail), and 200 written late,
		// timed 09:05, before the running counts' mark.
		if err := s.InsertEvents(ctx, benchEvents(500, clk.Now().Add(-time.Second))); err != nil {
			t.Fatal(err)
		}
		if err := s.InsertEvents(ctx, benchEvents(200, clk.Now().Add(-5*time.Minute))); err != nil {
			t.Fatal(err)
		}
		before := scanned()
		if got := total(); got != 3700 {
			t.Fatalf("second summary: %d events, want 3700", got)
		}
		if got := scanned() - before; got != 500 {
			t.Fatalf("second summary scanned %d events, want only the 500 of the last seconds", got)
		}
		clk.Add(5 * time.Second)
		before = scanned()
		if got := total(); got != 3700 {
			t.Fatalf("third summary: %d events, want 3700", got)
		}
		if got := scanned() - before; got != 500 {
			t.Fatalf("third summary scanned %d events, want the 500 once more (now behind the mark)", got)
		}
		before = scanned()
		if got := total(); got != 3700 || scanned() != before {
			t.Fatalf("fourth summary: %d events, scanned %d", got, scanned()-before)
		}

		// Another school's events are counted for it and for the trust,
		// never for this school.
		other := benchEvents(40, clk.Now().Add(-time.Minute))
		for i := range other {
			other[i].Site = "school-b"
		}
		if err := s.InsertEvents(ctx, other); err != nil {
			t.Fatal(err)
		}
		clk.Add(5 * time.Second)
		for site, want := range map[string]int64{DefaultSite: 3700, "school-b": 40, AllSites: 3740} {
			rows, err := s.Summarize(ctx, Actor{Name: "esafety"}, site, clk.Now().Add(-24*time.Hour), time.Time{}, []string{"verdict"})
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			for _, r := range rows {
				n += r.Count
			}
			if n != want {
				t.Errorf("site %s: %d events, want %d", site, n, want)
			}
		}
		if _, err := s.Summarize(ctx, Actor{Name: "esafety"}, "", clk.Now().Add(-time.Hour), time.Time{}, []string{"verdict"}); !errors.Is(err, ErrNoSite) {
			t.Errorf("a summary with no site: %v", err)
		}

		// The next hour: the 09:00 hour rolled up drops out of the live
		// counts, and the sum is the same.
		clk.Add(time.Hour)
		if err := s.InsertEvents(ctx, benchEvents(100, clk.Now().Add(-time.Minute))); err != nil {
			t.Fatal(err)
		}
		if got := total(); got != 3800 {
			t.Fatalf("before the roll-up: %d events, want 3800", got)
		}
		if _, err := s.Rollup(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if got := total(); got != 3800 {
			t.Fatalf("after the roll-up: %d events, want 3800", got)
		}
		rows, err := s.Summarize(ctx, Actor{Name: "esafety"}, "school-b", clk.Now().Add(-24*time.Hour), time.Time{}, []string{"verdict"})
		if err != nil || len(rows) == 0 || rows[0].Count+func() int64 {
			if len(rows) > 1 {
				return rows[1].Count
			}
			return 0
		}() != 40 {
			t.Fatalf("school-b rolled up: %v %v", rows, err)
		}
		for k := range s.live.counts {
			if k.hour < clk.Now().Truncate(time.Hour).UnixMicro() {
				t.Fatalf("a rolled-up hour is still in the live counts: %+v", k)
			}
		}
	})
}
