package store

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"schoolgate/internal/activity"
)

// BenchmarkTrustIngest is issue 14's activity at trust scale: 50 schools
// writing through several nodes (each its own Store, connection pool and
// activity.Writer, as separate serve processes are) into one PostgreSQL,
// for SCHOOLGATE_BENCH_TRUST events in all (say 3000000; skipped when
// unset) over SCHOOLGATE_BENCH_TRUST_NODES nodes (default 5, ten schools
// each). Each school's producer feeds its node's writer as fast as it
// takes events, waiting while the queue is over half full, so nothing is
// dropped; the rows are counted at the end: none lost, none twice. The
// figure is the aggregate sustained rate.
func BenchmarkTrustIngest(b *testing.B) {
	total, _ := strconv.Atoi(os.Getenv("SCHOOLGATE_BENCH_TRUST"))
	if total <= 0 {
		b.Skip("set SCHOOLGATE_BENCH_TRUST to a number of events (3000000 takes about a minute)")
	}
	if b.N > 1 {
		b.Skip("one run is the measurement: use -benchtime 1x")
	}
	nodes, _ := strconv.Atoi(os.Getenv("SCHOOLGATE_BENCH_TRUST_NODES"))
	if nodes <= 0 {
		nodes = 5
	}
	const schools = 50
	ctx := context.Background()
	dsn := PostgresTestDSN(b)
	perSchool := total / schools
	writers := make([]*activity.Writer, nodes)
	for i := range nodes {
		s := openBench(b, Options{PostgresDSN: dsn})
		w, err := activity.NewWriter(s, activity.WriterOptions{Writers: s.WriteConcurrency()})
		if err != nil {
			b.Fatal(err)
		}
		writers[i] = w
	}
	var wg sync.WaitGroup
	start := time.Now()
	for school := range schools {
		w := writers[school%nodes]
		mix := newSustainedMix(uint64(school + 1))
		prefix := fmt.Sprintf("school-%02d-", school)
		for i := range mix.users {
			mix.users[i] = prefix + mix.users[i]
		}
		wg.Go(func() {
			at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
			for range perSchool {
				for w.Queued() > 1<<16 {
					time.Sleep(200 * time.Microsecond)
				}
				w.Log(mix.event(at))
				at = at.Add(50 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	for _, w := range writers {
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		if w.Dropped() != 0 {
			b.Fatalf("%d events dropped", w.Dropped())
		}
	}
	elapsed := time.Since(start)
	s := openBench(b, Options{PostgresDSN: dsn})
	var rows int64
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM activity`).Scan(&rows); err != nil {
		b.Fatal(err)
	}
	if rows != int64(perSchool*schools) {
		b.Fatalf("%d rows stored, %d events logged", rows, perSchool*schools)
	}
	b.ReportMetric(float64(rows)/elapsed.Seconds(), "events/s")
	b.Logf("%d schools, %d nodes (%d writing connections each): %d events stored in %s", schools, nodes, s.WriteConcurrency(), rows, elapsed.Round(time.Millisecond))
}

// BenchmarkTrustSearch20M searches one person's week at trust scale: 20
// million events of 50 schools (30,000 pupils) over 50 days, built once
// with generate_series in SCHOOLGATE_BENCH_20M_POSTGRES (a DSN; skipped
// when unset; the database is kept for the next run, SCHOOLGATE_BENCH_20M_N
// events instead of 20 million). Each iteration searches another pupil's
// middle week, as the console and `activity search --user` do.
func BenchmarkTrustSearch20M(b *testing.B) {
	dsn := os.Getenv("SCHOOLGATE_BENCH_20M_POSTGRES")
	if dsn == "" {
		b.Skip("set SCHOOLGATE_BENCH_20M_POSTGRES to a DSN (the database is kept for the next run)")
	}
	n, _ := strconv.ParseInt(os.Getenv("SCHOOLGATE_BENCH_20M_N"), 10, 64)
	if n <= 0 {
		n = 20_000_000
	}
	ctx := context.Background()
	s := openBench(b, Options{PostgresDSN: dsn})
	const days, pupils = 50, 30_000
	first := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	var have int64
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM activity`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have != n {
		if have != 0 {
			b.Fatalf("the database holds %d events, not %d: give an empty one", have, n)
		}
		built := time.Now()
		buildTrust20M(b, s, first, days, pupils, n)
		b.Logf("built %d events in %s", n, time.Since(built).Round(time.Second))
	}
	week := first.Add(21 * 24 * time.Hour)
	var took []time.Duration
	b.ResetTimer()
	for i := range b.N {
		user := fmt.Sprintf("p%05d", (i*7919)%pupils)
		t0 := time.Now()
		k := 0
		err := s.SearchActivity(ctx, Actor{Name: "bench"}, ActivityFilter{User: user, Since: week, Until: week.Add(7 * 24 * time.Hour), Limit: -1},
			func(activity.Event) error { k++; return nil })
		if err != nil {
			b.Fatal(err)
		}
		if k == 0 {
			b.Fatalf("no events for %s in the week", user)
		}
		took = append(took, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms")
	// The audit record each search writes first (a commit of its own):
	// on a loaded machine much of a search's time.
	var audits []time.Duration
	for range 9 {
		t0 := time.Now()
		if err := s.Audit(ctx, Actor{Name: "bench"}, "activity.search", "activity", nil, ActivityFilter{User: "p00001"}); err != nil {
			b.Fatal(err)
		}
		audits = append(audits, time.Since(t0))
	}
	slices.Sort(audits)
	b.ReportMetric(float64(audits[len(audits)/2].Microseconds())/1000, "audit-median-ms")
}

// buildTrust20M writes n events spread evenly over days from first, one
// day's INSERT … SELECT generate_series at a time into its partition,
// logging its progress.
func buildTrust20M(b *testing.B, s *Store, first time.Time, days, pupils int, n int64) {
	ctx := context.Background()
	d0 := dayOf(micro(first))
	if err := s.ensureDays(ctx, d0, d0+int64(days)-1); err != nil {
		b.Fatal(err)
	}
	// Loaded without its indexes, which are then built in bulk: row by
	// row into six indexes ran at 7,000 events/s on the shared machine.
	rows, err := s.r.QueryContext(ctx, `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'activity'`)
	if err != nil {
		b.Fatal(err)
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			b.Fatal(err)
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	for _, name := range names {
		if _, err := s.w.ExecContext(ctx, `DROP INDEX `+name); err != nil {
			b.Fatal(err)
		}
	}
	per := n / int64(days)
	step := int64(dayMicro) / per
	for d := range int64(days) {
		k := per
		if d == int64(days)-1 {
			k = n - per*(int64(days)-1)
		}
		lo := micro(first) + d*dayMicro
		_, err := s.w.ExecContext(ctx, `INSERT INTO activity (at, client, username, groups, host, rhost, url, categories, verdict, illegal, rule, point, search, action, ref, blk, eid)
			SELECT at, '10.' || (u / 250 % 250) || '.' || (u % 250) || '.1', 'p' || lpad(u::text, 5, '0'), 'pupils', 'www.h' || h || '.com', 'com.h' || h || '.www.',
				CASE WHEN g % 3 = 0 THEN 'https://www.h' || h || '.com/' ELSE '' END,
				CASE WHEN h % 10 = 7 THEN 'games' ELSE '' END, CASE WHEN h % 10 = 7 THEN 'block' ELSE 'allow' END, false, 'default',
				CASE WHEN g % 3 = 0 THEN 'proxy' ELSE 'dns' END, '', '', '', at / 3600000000, gen_random_uuid()
			FROM (SELECT $1::bigint + g * $2::bigint AS at, g, (g * 7919 + $4::bigint) % $5::bigint AS u, (g * 104729) % 200000 AS h
				FROM generate_series(0::bigint, $3::bigint - 1) AS g) x`, lo, step, k, d, pupils)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("day %d of %d loaded", d+1, days)
	}
	for _, def := range defs {
		// A partitioned table's definitions read ON ONLY (this table,
		// not its partitions).
		if _, err := s.w.ExecContext(ctx, strings.Replace(def, " ON ONLY ", " ON ", 1)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO activity_blocks (blk, min_at, max_at, events)
		SELECT blk, MIN(at), MAX(at), COUNT(*) FROM activity GROUP BY blk
		ON CONFLICT (blk) DO UPDATE SET min_at = excluded.min_at, max_at = excluded.max_at, events = excluded.events`); err != nil {
		b.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `ANALYZE activity`); err != nil {
		b.Fatal(err)
	}
}
