package store

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"schoolgate/internal/activity"
)

// benchEvents makes n realistic events: 2,000 clients, 500 users, 5,000
// hosts, a tenth in a category, a third through the proxy.
func benchEvents(n int, start time.Time) []activity.Event {
	out := make([]activity.Event, n)
	cats := []string{"games", "social-media", "shopping", "education"}
	for i := range out {
		e := activity.Event{Time: start.Add(time.Duration(i) * time.Millisecond),
			Client:  netip.AddrFrom4([4]byte{10, 20, byte(i / 250 % 8), byte(i % 250)}),
			Host:    fmt.Sprintf("www.site%d.example.com", i%5000),
			Verdict: "allow", Rule: "default", Point: activity.PointDNS, Groups: []string{"pupils-ks2"}}
		if i%3 == 0 {
			e.User, e.Point, e.URL = fmt.Sprintf("pupil%03d", i%500), activity.PointProxy, "https://"+e.Host+"/page?id=1"
		}
		if i%10 == 0 {
			e.Categories, e.Verdict, e.Rule = []string{cats[i/10%4]}, "block", "rules."+cats[i/10%4]+".others"
		}
		out[i] = e
	}
	return out
}

func benchIngest(b *testing.B, s *Store) {
	ctx := context.Background()
	server := func() time.Duration { return 0 }
	if s.Dialect() == Postgres {
		server = postgresCPU(b, s)
	}
	const batch = 8192
	events := benchEvents(batch, time.Now())
	b.ResetTimer()
	start, cpu, scpu := time.Now(), cpuTime(), server()
	total := 0
	for i := 0; i < b.N; i++ {
		// Each batch follows the last in time, as a live writer's do
		// (the same timestamps again would insert all over the time
		// index instead of at its end).
		if i > 0 {
			for j := range events {
				events[j].Time = events[j].Time.Add(batch * time.Millisecond)
			}
		}
		if err := s.InsertEvents(ctx, events); err != nil {
			b.Fatal(err)
		}
		total += batch
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "events/s")
	// This process's CPU time (on SQLite all of the work, the background
	// checkpointer's included): steadier than wall time on a shared
	// machine.
	b.ReportMetric(float64(total)/(cpuTime()-cpu+server()-scpu).Seconds(), "events/cpu-s")
}

// postgresCPU returns a function that reads the CPU time used so far by
// the PostgreSQL server processes (the postmaster's children: the
// benchmark's backend, the WAL writer, the checkpointer...), so that
// events/cpu-s counts both sides on PostgreSQL. Other sessions using the
// same server count too.
func postgresCPU(b *testing.B, s *Store) func() time.Duration {
	var backend int
	if err := s.w.QueryRow(`SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		b.Fatal(err)
	}
	stat := func(pid int) []string {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil
		}
		// Fields after the command, which is in parentheses.
		return strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	}
	f := stat(backend)
	if f == nil {
		b.Skip("the PostgreSQL server is not on this machine: no server CPU time")
	}
	postmaster, _ := strconv.Atoi(f[1])
	const tick = 10 * time.Millisecond // USER_HZ 100
	field := func(f []string, i int) time.Duration {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		return time.Duration(v) * tick
	}
	return func() time.Duration {
		var d time.Duration
		procs, _ := os.ReadDir("/proc")
		for _, p := range procs {
			pid, err := strconv.Atoi(p.Name())
			if err != nil {
				continue
			}
			if f := stat(pid); f != nil && f[1] == strconv.Itoa(postmaster) {
				d += field(f, 11) + field(f, 12) // utime, stime
			}
		}
		if f := stat(postmaster); f != nil {
			d += field(f, 11) + field(f, 12) + field(f, 13) + field(f, 14) // and children that ended
		}
		return d
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIngest measures InsertEvents (the events and their blocks'
// time ranges) with 8,192-event batches, the writer's default; the
// aggregates are rolled up later (BenchmarkRollup).
func BenchmarkIngest(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		s, err := Open(context.Background(), Options{SQLitePath: filepath.Join(b.TempDir(), "b.db")})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchIngest(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		s, err := Open(context.Background(), Options{PostgresDSN: PostgresTestDSN(b)})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchIngest(b, s)
	})
}

// BenchmarkSearch10M searches 10 million events, one a second: 115 days,
// 2,778 hours (PostgreSQL's blocks are hours; SQLite's are counts of
// events, 153 of them). It builds the
// database once, on SQLite in SCHOOLGATE_BENCH_DB (default
// /tmp/schoolgate-search-10m.db) and on PostgreSQL in the database
// SCHOOLGATE_BENCH_10M_POSTGRES names (a DSN; skipped when unset), and runs
// only when SCHOOLGATE_BENCH_10M=1: building takes minutes.
func BenchmarkSearch10M(b *testing.B) {
	if os.Getenv("SCHOOLGATE_BENCH_10M") != "1" {
		b.Skip("set SCHOOLGATE_BENCH_10M=1 (builds a 10-million-event database once)")
	}
	b.Run("sqlite", func(b *testing.B) {
		path := os.Getenv("SCHOOLGATE_BENCH_DB")
		if path == "" {
			path = "/tmp/schoolgate-search-10m.db"
		}
		benchSearch10M(b, openBench(b, Options{SQLitePath: path}))
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := os.Getenv("SCHOOLGATE_BENCH_10M_POSTGRES")
		if dsn == "" {
			b.Skip("set SCHOOLGATE_BENCH_10M_POSTGRES to a DSN (the database is kept for the next run)")
		}
		benchSearch10M(b, openBench(b, Options{PostgresDSN: dsn}))
	})
}

func benchSearch10M(b *testing.B, s *Store) {
	ctx := context.Background()
	const total = 10_000_000
	start := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	var have int64
	s.r.QueryRow(`SELECT COUNT(*) FROM activity`).Scan(&have)
	if have < total {
		built := time.Now()
		const batch = 8192
		for n := int(have); n < total; n += batch {
			ev := benchEvents(batch, start)
			for i := range ev {
				ev[i].Time = start.Add(time.Duration(n+i) * time.Second)
			}
			if err := s.InsertEvents(ctx, ev); err != nil {
				b.Fatal(err)
			}
		}
		if s.Dialect() == Postgres {
			if _, err := s.w.ExecContext(ctx, `ANALYZE`); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("built %d events in %s", total, time.Since(built).Round(time.Second))
	}
	end := start.Add(total * time.Second)
	cases := []struct {
		name string
		f    ActivityFilter
	}{
		{"user-all-time", ActivityFilter{User: "pupil123", Limit: -1}},
		{"user-last-10pct", ActivityFilter{User: "pupil123", Since: end.Add(-total / 10 * time.Second), Limit: -1}},
		{"category-limit-1000", ActivityFilter{Category: "games", Limit: 1000}},
		{"host-suffix-limit-1000", ActivityFilter{Host: "site77.example.com", Limit: 1000}},
		{"host-all-time", ActivityFilter{Host: "site77.example.com", Limit: -1}},
		{"client-last-1pct", ActivityFilter{Client: "10.20.3.17", Since: end.Add(-total / 100 * time.Second), Limit: -1}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			for i := 0; i < b.N; i++ {
				n = 0
				if err := s.SearchActivity(ctx, Actor{Name: "bench"}, c.f, func(activity.Event) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "events")
		})
	}
}

// BenchmarkRollup makes the hourly aggregates of 1,440,000 events (two
// hours of the sustained benchmark's traffic, 720,000 events an hour),
// from scratch each time.
func BenchmarkRollup(b *testing.B) {
	run := func(b *testing.B, s *Store) {
		ctx := context.Background()
		mix := newSustainedMix(1)
		at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
		const total, batch = 1_440_000, 8192
		ev := make([]activity.Event, 0, batch)
		for i := range total {
			ev = append(ev, mix.event(at))
			at = at.Add(5 * time.Millisecond)
			if len(ev) == batch || i == total-1 {
				if err := s.InsertEvents(ctx, ev); err != nil {
					b.Fatal(err)
				}
				ev = ev[:0]
			}
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			if _, err := s.w.ExecContext(ctx, `DELETE FROM activity_rollups`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			rep, err := s.Rollup(ctx, at.Add(2*time.Hour))
			if err != nil || rep.Events != total {
				b.Fatalf("%+v %v", rep, err)
			}
		}
		b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "events/s")
	}
	b.Run("sqlite", func(b *testing.B) {
		run(b, openBench(b, Options{SQLitePath: filepath.Join(b.TempDir(), "b.db")}))
	})
	b.Run("postgres", func(b *testing.B) {
		run(b, openBench(b, Options{PostgresDSN: PostgresTestDSN(b)}))
	})
}
