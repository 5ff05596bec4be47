package store

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/config"
)

// hourlyCount is one row of the hourly aggregates.
type hourlyCount struct {
	Hour                              time.Time
	Subject, Category, Verdict, Point string
	Count                             int64
}

// hourlyCounts is every aggregate row from since's hour on, rolled up or
// still counted from the events, as Summarize counts by all its keys
// (without its audit record).
func hourlyCounts(t *testing.T, s *Store, since time.Time) []hourlyCount {
	t.Helper()
	keys := []string{"hour", "subject", "category", "verdict", "point"}
	exprs := make([]string, len(keys))
	for i, k := range keys {
		exprs[i] = summaryExpr[k]
	}
	rows, err := s.summarize(context.Background(), AllSites, micro(since.Truncate(time.Hour)), 1<<62, keys, exprs, true)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]hourlyCount, len(rows))
	for i, r := range rows {
		hour, err := time.Parse("2006-01-02T15:04Z", r.Values[0])
		if err != nil {
			t.Fatal(err)
		}
		out[i] = hourlyCount{hour, r.Values[1], r.Values[2], r.Values[3], r.Values[4], r.Count}
	}
	return out
}

// hourlyTotals sums hourlyCounts by "hour category" (category "" is
// events without one) and overall.
func hourlyTotals(t *testing.T, s *Store, since time.Time) (map[string]int64, int64) {
	t.Helper()
	m := map[string]int64{}
	var all int64
	for _, r := range hourlyCounts(t, s, since) {
		m[r.Hour.Format("Jan02T15")+" "+r.Category] += r.Count
		all += r.Count
	}
	return m, all
}

func rolledHours(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM activity_rollups`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRollup: ended hours are rolled up once their grace has passed, the
// hour in progress is counted from its events, a late event within the
// grace is counted, an event with two categories counts under each, gaps
// of days are jumped, and rolling up again changes nothing.
func TestRollup(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		s := open(nil)
		day := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
		ev := func(at time.Time, user string, cats ...string) activity.Event {
			e := activity.Event{Time: at, Client: netip.MustParseAddr("10.20.0.9"), User: user, Host: "h.example",
				Verdict: "allow", Rule: "default", Point: activity.PointDNS}
			if len(cats) > 0 {
				e.Categories, e.Verdict = cats, "block"
			}
			return e
		}
		var batch []activity.Event
		for m := range 120 { // 08:00 to 09:59, a minute apart
			batch = append(batch, ev(day.Add(8*time.Hour+time.Duration(m)*time.Minute), "amy"))
		}
		batch = append(batch, ev(day.Add(9*time.Hour+30*time.Minute), "", "games", "social-media"))
		batch = append(batch, ev(day.Add(10*time.Hour+15*time.Minute), "bob", "games"))
		// Two days later, after a gap.
		batch = append(batch, ev(day.Add(2*24*time.Hour+8*time.Hour), "amy"))
		if err := s.InsertEvents(ctx, batch); err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"Mar09T08 ": 60, "Mar09T09 ": 60, "Mar09T09 games": 1, "Mar09T09 social-media": 1,
			"Mar09T10 games": 1, "Mar11T08 ": 1}
		check := func(when string) {
			t.Helper()
			got, _ := hourlyTotals(t, s, time.Time{})
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s: hourly %v, want %v", when, got, want)
			}
		}
		check("nothing rolled up yet")

		// 10:04: hour 09 ended less than the grace ago, only 08 goes.
		rep, err := s.Rollup(ctx, day.Add(10*time.Hour+4*time.Minute))
		if err != nil || rep.Hours != 1 || rep.Events != 60 {
			t.Fatalf("rollup at 10:04: %+v %v", rep, err)
		}
		check("08 rolled up")
		// 10:06: 09 goes, with its two-category event.
		rep, err = s.Rollup(ctx, day.Add(10*time.Hour+6*time.Minute))
		if err != nil || rep.Hours != 1 || rep.Events != 61 || rep.Rows != 3 {
			t.Fatalf("rollup at 10:06: %+v %v", rep, err)
		}
		check("09 rolled up")
		// A late event for 10, within its grace.
		if err := s.InsertEvents(ctx, []activity.Event{ev(day.Add(10*time.Hour+59*time.Minute), "bob")}); err != nil {
			t.Fatal(err)
		}
		want["Mar09T10 "] = 1
		check("a late event")
		// Days later: 10 and the hour after the gap.
		rep, err = s.Rollup(ctx, day.Add(4*24*time.Hour))
		if err != nil || rep.Hours != 2 || rep.Events != 3 {
			t.Fatalf("rollup days later: %+v %v", rep, err)
		}
		check("all rolled up")
		if rolledHours(t, s) != 4 {
			t.Fatalf("%d hours marked rolled up, want 4", rolledHours(t, s))
		}
		if upTo, err := s.RolledUpTo(ctx); err != nil || !upTo.Equal(day.Add(2*24*time.Hour+9*time.Hour)) {
			t.Fatalf("rolled up to %v %v", upTo, err)
		}
		// Again: nothing to do, nothing changes.
		rep, err = s.Rollup(ctx, day.Add(5*24*time.Hour))
		if err != nil || rep.Hours != 0 {
			t.Fatalf("second rollup: %+v %v", rep, err)
		}
		check("rolled up twice")
		// since is rounded down to its hour.
		if got, all := hourlyTotals(t, s, day.Add(9*time.Hour+20*time.Minute)); all != 60+2+2+1 || got["Mar09T08 "] != 0 {
			t.Fatalf("since 09:20: %v (%d)", got, all)
		}
	})
}

// TestRollupBeforePurge: events never rolled up are counted before the
// retention purge deletes them, so the aggregates keep them.
func TestRollupBeforePurge(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		if err := s.InsertEvents(ctx, benchEvents(5000, clk.Now())); err != nil {
			t.Fatal(err)
		}
		clk.Add(31 * 24 * time.Hour)
		r := config.Retention{Activity: config.Duration(365 * 24 * time.Hour), DNSEvents: config.Duration(30 * 24 * time.Hour),
			Requests: config.Duration(time.Hour), Overrides: config.Duration(time.Hour)}
		rep, err := s.Purge(ctx, Actor{Name: "test"}, r, clk.Now(), false)
		if err != nil || rep.DNSEvents == 0 || rep.Activity != 0 {
			t.Fatalf("purge: %+v %v", rep, err)
		}
		// Each event has one category or none: it counts once.
		if rolledHours(t, s) == 0 {
			t.Fatal("the purge did not roll the hours up first")
		}
		if _, total := hourlyTotals(t, s, time.Time{}); total != 5000 {
			t.Fatalf("aggregates count %d events after the purge, want 5000", total)
		}
	})
}

// TestRollupTwoNodes: two nodes rolling up the same PostgreSQL at once
// write each hour once.
func TestRollupTwoNodes(t *testing.T) {
	dsn := PostgresTestDSN(t)
	a := openTest(t, Options{PostgresDSN: dsn})
	b := openTest(t, Options{PostgresDSN: dsn})
	ctx := context.Background()
	start := time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)
	for h := range 6 {
		if err := a.InsertEvents(ctx, benchEvents(3000, start.Add(time.Duration(h)*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	reps := make([]RollupReport, 2)
	for i, s := range []*Store{a, b} {
		wg.Go(func() {
			var err error
			if reps[i], err = s.Rollup(ctx, start.Add(24*time.Hour)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if reps[0].Hours+reps[1].Hours != 6 || reps[0].Events+reps[1].Events != 18000 {
		t.Fatalf("two nodes rolled up %+v and %+v, want 6 hours of 18000 events between them", reps[0], reps[1])
	}
	if _, all := hourlyTotals(t, a, time.Time{}); all != 18000 {
		t.Fatalf("aggregates %d", all)
	}
}

// TestMigrationV4 opens a version 3 database whose aggregates were kept
// batch by batch: the older hours stay as they were, the newest is counted
// again from its events (including those written after the upgrade).
func TestMigrationV4(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			var opt Options
			if backend == "sqlite" {
				opt.SQLitePath = filepath.Join(t.TempDir(), "v3.db")
			} else {
				opt.PostgresDSN = PostgresTestDSN(t)
			}
			// A recent day, so the newest hour is not over a day old.
			h1 := time.Now().UTC().Truncate(time.Hour).Add(-3 * time.Hour)
			h2 := h1.Add(time.Hour)
			old := opt
			old.schemaVersion = 3
			s3, err := Open(ctx, old)
			if err != nil {
				t.Fatal(err)
			}
			// What version 3 wrote: events and, batch by batch, their
			// aggregates. Hour 1's events were purged long ago (only
			// its aggregates are left); hour 2 is the newest.
			for _, q := range []struct {
				hour  time.Time
				count int
			}{{h1, 40}, {h2, 2}} {
				if _, err := s3.w.ExecContext(ctx, `INSERT INTO activity_hourly (hour, subject, category, verdict, point, count)
					VALUES ($1, 'amy', '', 'allow', 'dns', $2)`, micro(q.hour), q.count); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 2 {
				if _, err := s3.w.ExecContext(ctx, `INSERT INTO activity (at, client, username, groups, host, rhost, url, categories, verdict, illegal, rule, point, search, action, blk)
					VALUES ($1, '10.20.0.1', 'amy', '', 'a.example', 'example.a.', '', '', 'allow', $2, 'default', 'dns', '', '', 0)`,
					micro(h2.Add(time.Duration(i)*time.Minute)), false); err != nil {
					t.Fatal(err)
				}
			}
			s3.Close()

			s := openTest(t, opt)
			// After the upgrade, one more event in hour 2.
			if err := s.InsertEvents(ctx, []activity.Event{{Time: h2.Add(30 * time.Minute), User: "amy", Host: "a.example", Verdict: "allow", Point: activity.PointDNS}}); err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprint(map[string]int64{h1.Format("Jan02T15") + " ": 40, h2.Format("Jan02T15") + " ": 3})
			if got, _ := hourlyTotals(t, s, time.Time{}); fmt.Sprint(got) != want {
				t.Fatalf("after the upgrade: %v, want %s", got, want)
			}
			if _, err := s.Rollup(ctx, h2.Add(2*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if got, _ := hourlyTotals(t, s, time.Time{}); fmt.Sprint(got) != want {
				t.Fatalf("rolled up: %v, want %s", got, want)
			}
		})
	}
}

// TestSummarize counts by the keys asked for, over rolled-up and live
// hours alike, and records the read.
func TestSummarize(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		start := clk.Now()
		if err := s.InsertEvents(ctx, benchEvents(5000, start)); err != nil { // 1 ms apart: one hour
			t.Fatal(err)
		}
		if err := s.InsertEvents(ctx, benchEvents(1000, start.Add(26*time.Hour))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Rollup(ctx, start.Add(3*time.Hour)); err != nil { // the first day's hour only
			t.Fatal(err)
		}
		rows, err := s.Summarize(ctx, Actor{Name: "esafety"}, DefaultSite, start, time.Time{}, []string{"day", "verdict"})
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(rows)
		if want := "[{[2026-03-09 allow] 4500} {[2026-03-09 block] 500} {[2026-03-10 allow] 900} {[2026-03-10 block] 100}]"; got != want {
			t.Fatalf("summary %s, want %s", got, want)
		}
		if rows, _ := s.Summarize(ctx, Actor{Name: "esafety"}, DefaultSite, start, start.Add(24*time.Hour), []string{"point"}); fmt.Sprint(rows) != "[{[dns] 3333} {[proxy] 1667}]" {
			t.Fatalf("until: %v", rows)
		}
		// Every key, over the rolled-up day: 2,000 clients and 500 users,
		// a tenth of events in one of four categories.
		rows, err = s.Summarize(ctx, Actor{Name: "esafety"}, DefaultSite, start, start.Add(24*time.Hour), []string{"hour", "subject", "category", "verdict", "point"})
		if err != nil {
			t.Fatal(err)
		}
		var total, games int64
		subjects := map[string]bool{}
		for _, r := range rows {
			total += r.Count
			subjects[r.Values[1]] = true
			if r.Values[0] != "2026-03-09T09:00Z" {
				t.Fatalf("hour %q", r.Values[0])
			}
			if r.Values[2] == "games" {
				games += r.Count
			}
		}
		if total != 5000 || games != 125 || len(subjects) != 2000+500 {
			t.Fatalf("by every key: %d events, %d games, %d subjects", total, games, len(subjects))
		}
		if _, err := s.Summarize(ctx, Actor{Name: "esafety"}, DefaultSite, start, time.Time{}, []string{"colour"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad key: %v", err)
		}
		audits, err := s.ListAudit(ctx, AuditFilter{Action: "activity.summary"})
		if err != nil || len(audits) != 3 {
			t.Fatalf("audited %d summaries, %v", len(audits), err)
		}
	})
}
