package store

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/activity"
)

// TestMigrationV2KeepsActivity fills a version 1 activity table, opens it
// with this program (which migrates it) and searches old and new events
// by host and by user, on both back ends.
func TestMigrationV2KeepsActivity(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			var opt Options
			if backend == "sqlite" {
				opt.SQLitePath = filepath.Join(t.TempDir(), "v1.db")
			} else {
				opt.PostgresDSN = PostgresTestDSN(t)
			}
			old := opt
			old.schemaVersion = 1
			s1, err := Open(ctx, old)
			if err != nil {
				t.Fatal(err)
			}
			base := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)
			hosts := []string{"www.example.com", "Example.com.", "example-shop.com", "examples.com", "mail.example.com", "example.org", ""}
			for i, h := range hosts {
				user := ""
				if i%2 == 0 {
					user = "amy"
				}
				if _, err := s1.w.ExecContext(ctx, `INSERT INTO activity (at, client, username, groups, host, url, categories, verdict, illegal, rule, point, search, action)
					VALUES ($1, '10.20.0.1', $2, 'pupils-ks2', $3, '', '', 'allow', $4, 'default', 'dns', '', '')`,
					micro(base.Add(time.Duration(i)*time.Minute)), user, h, false); err != nil {
					t.Fatal(err)
				}
			}
			s1.Close()

			s := openTest(t, opt)
			if v, err := s.SchemaVersion(ctx); err != nil || v != len(migrations) {
				t.Fatalf("schema version %d %v, want %d", v, err, len(migrations))
			}
			if err := s.InsertEvents(ctx, []activity.Event{
				{Time: base.Add(time.Hour), Host: "new.example.com", User: "amy", Verdict: "allow", Point: activity.PointDNS},
				{Time: base.Add(time.Hour), Host: "new.examples.com", User: "bob", Verdict: "allow", Point: activity.PointDNS},
			}); err != nil {
				t.Fatal(err)
			}
			search := func(f ActivityFilter) []string {
				t.Helper()
				f.Limit = -1
				var got []string
				if err := s.SearchActivity(ctx, Actor{Name: "dsl"}, f, func(e activity.Event) error { got = append(got, e.Host); return nil }); err != nil {
					t.Fatal(err)
				}
				return got
			}
			if got, want := strings.Join(search(ActivityFilter{Host: "EXAMPLE.com"}), " "), "new.example.com mail.example.com Example.com. www.example.com"; got != want {
				t.Fatalf("host example.com: %q, want %q", got, want)
			}
			if got := search(ActivityFilter{Host: "examples.com"}); len(got) != 2 {
				t.Fatalf("host examples.com: %q", got)
			}
			if got := search(ActivityFilter{Host: "com"}); len(got) != 7 {
				t.Fatalf("host com: %q", got)
			}
			if got, want := strings.Join(search(ActivityFilter{User: "amy", Host: "example.com"}), " "), "new.example.com mail.example.com www.example.com"; got != want {
				t.Fatalf("amy at example.com: %q, want %q", got, want)
			}
			if got := search(ActivityFilter{User: "amy", Since: base.Add(30 * time.Minute)}); len(got) != 1 {
				t.Fatalf("amy since: %q", got)
			}
			if got := search(ActivityFilter{User: "amy", Until: base.Add(30 * time.Minute)}); len(got) != 4 {
				t.Fatalf("amy until: %q", got)
			}
			if err := s.SearchActivity(ctx, Actor{Name: "dsl"}, ActivityFilter{Host: "."}, func(activity.Event) error { return nil }); err == nil {
				t.Fatal("an empty host was searched")
			}
		})
	}
}

// TestSearchUsesIndexes checks SQLite's plans: user and host searches
// seek the block-partitioned indexes instead of scanning the log.
func TestSearchUsesIndexes(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{SQLitePath: filepath.Join(t.TempDir(), "plan.db")})
	if err := s.InsertEvents(ctx, benchEvents(2000, time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 3, 9, 9, 0, 1, 0, time.UTC)
	for _, c := range []struct {
		f     ActivityFilter
		index string
	}{
		{ActivityFilter{Host: "example.com"}, "activity_blk_rhost"},
		{ActivityFilter{Host: "example.com", Since: since, Limit: -1}, "activity_blk_rhost"},
		{ActivityFilter{User: "pupil007", Limit: -1}, "activity_blk_user"},
		{ActivityFilter{User: "pupil007", Since: since, Until: since.Add(time.Hour)}, "activity_blk_user"},
		{ActivityFilter{Category: "games"}, "activity_at"},
	} {
		q, args, err := searchQuery(c.f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		t.Logf("%s: %s", q[strings.Index(q, "WHERE"):], p)
		if !strings.Contains(p, c.index) || slices.Contains(plan, "SCAN activity") {
			t.Errorf("%+v: plan %q does not use %s", c.f, p, c.index)
		}
	}
}

// TestHourlyManyKeys writes events with more aggregate rows than one
// statement takes and checks the totals.
func TestHourlyManyKeys(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{SQLitePath: filepath.Join(t.TempDir(), "hourly.db")})
	start := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 2; i++ {
		if err := s.InsertEvents(ctx, benchEvents(6000, start)); err != nil {
			t.Fatal(err)
		}
	}
	// Counted from the events, then rolled up (in statements of
	// hourlyChunk rows): the same either way.
	for _, rollup := range []bool{false, true} {
		if rollup {
			if rep, err := s.Rollup(ctx, start.Add(3*time.Hour)); err != nil || rep.Events != 12000 {
				t.Fatalf("rollup: %+v %v", rep, err)
			}
		}
		hourly := hourlyCounts(t, s, time.Time{})
		var total int64
		for _, h := range hourly {
			total += h.Count
		}
		if len(hourly) < 2*hourlyChunk || total != 12000 {
			t.Fatalf("rolled up %v: %d aggregate rows counting %d events, want more than %d rows counting 12000", rollup, len(hourly), total, 2*hourlyChunk)
		}
	}
	var blocks, events int64
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*), SUM(events) FROM activity_blocks`).Scan(&blocks, &events); err != nil || blocks != 1 || events != 12000 {
		t.Fatalf("activity_blocks: %d blocks, %d events, %v", blocks, events, err)
	}
}
