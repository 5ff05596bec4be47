package store

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/config"
)

func countActivity(t *testing.T, s *Store) int64 {
	t.Helper()
	var n int64
	if err := s.r.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM activity`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func idEvents(n int, at time.Time) []activity.Event {
	ev := make([]activity.Event, n)
	for i := range ev {
		t := at.Add(time.Duration(i) * time.Second)
		ev[i] = activity.Event{Time: t, Client: netip.MustParseAddr("10.0.0.1"), User: fmt.Sprintf("u%d", i%7), Host: "x.example",
			Verdict: "allow", Point: activity.PointDNS, ID: activity.NewEventID(t)}
	}
	return ev
}

// TestEventIDsStoredOnce writes batches again, whole and in part, as a
// replayed spool or a retried batch would: every event is stored once.
func TestEventIDsStoredOnce(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		s := open(nil)
		at := time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC) // the batch spans two days
		ev := idEvents(1000, at)
		if err := s.InsertEvents(ctx, ev[:600]); err != nil {
			t.Fatal(err)
		}
		if err := s.InsertEvents(ctx, ev[:600]); err != nil {
			t.Fatalf("the same batch again: %v", err)
		}
		// Old and new mixed, and an event twice in one batch.
		again := append(append([]activity.Event{}, ev[400:]...), ev[999])
		if err := s.InsertEvents(ctx, again); err != nil {
			t.Fatalf("a batch half stored: %v", err)
		}
		// Events without ids (an import) are all stored.
		plain := idEvents(3, at)
		for i := range plain {
			plain[i].ID = activity.EventID{}
		}
		if err := s.InsertEvents(ctx, plain); err != nil {
			t.Fatal(err)
		}
		if got := countActivity(t, s); got != 1003 {
			t.Fatalf("%d events stored, want 1000 once each and 3 without ids", got)
		}
		var blocks int64
		if err := s.r.QueryRowContext(ctx, `SELECT SUM(events) FROM activity_blocks`).Scan(&blocks); err != nil || blocks != 1003 {
			t.Fatalf("activity_blocks count %d events (%v), want 1003", blocks, err)
		}
	})
}

// TestActivityPartitions checks PostgreSQL's day partitions: made for a
// batch's days and ahead, an event whose partition is missing kept in the
// default one and moved when its day is made, and retention dropping
// whole days.
func TestActivityPartitions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, Options{PostgresDSN: PostgresTestDSN(t)})
	var kind string
	if err := s.r.QueryRowContext(ctx, `SELECT relkind::text FROM pg_class WHERE oid = 'activity'::regclass`).Scan(&kind); err != nil || kind != "p" {
		t.Fatalf("activity relkind %q (%v), want a partitioned table", kind, err)
	}
	exists := func(name string) bool {
		var ok bool
		if err := s.r.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	old := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	if err := s.InsertEvents(ctx, idEvents(50, old)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"activity_20250601", "activity_20250602", "activity_20250603"} {
		if !exists(p) {
			t.Fatalf("partition %s not made for a batch of 1 June 2025", p)
		}
	}
	// A node writes a day another node's purge just dropped: the event
	// lands in the default partition and moves when the day is made.
	stray := time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC)
	s.days.set(dayOf(micro(stray)), true) // this process believes it exists
	if err := s.InsertEvents(ctx, idEvents(5, stray)); err != nil {
		t.Fatalf("an event without its partition: %v", err)
	}
	var inDefault int64
	s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM activity_default`).Scan(&inDefault)
	if inDefault != 5 {
		t.Fatalf("%d events in the default partition, want 5", inDefault)
	}
	if err := s.makeDay(ctx, dayOf(micro(stray))); err != nil {
		t.Fatal(err)
	}
	var inDay int64
	s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM activity_default`).Scan(&inDefault)
	s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM activity_20250303`).Scan(&inDay)
	if inDefault != 0 || inDay != 5 {
		t.Fatalf("after making the day: %d in default, %d in the day; want 0 and 5", inDefault, inDay)
	}
	// Retention: 30 days of DNS events and of activity on 3 July 2025
	// drop both old days whole.
	now := time.Date(2025, 7, 3, 12, 0, 0, 0, time.UTC)
	recent := idEvents(10, now.Add(-2*time.Hour))
	for i := range recent {
		recent[i].Point = activity.PointProxy
	}
	if err := s.InsertEvents(ctx, recent); err != nil {
		t.Fatal(err)
	}
	r := config.Retention{Activity: config.Duration(30 * 24 * time.Hour), DNSEvents: config.Duration(30 * 24 * time.Hour)}
	dry, err := s.Purge(ctx, Actor{Name: "t"}, r, now, true)
	if err != nil || dry.DNSEvents != 55 || !exists("activity_20250601") {
		t.Fatalf("dry run: %+v %v", dry, err)
	}
	rep, err := s.Purge(ctx, Actor{Name: "t"}, r, now, false)
	if err != nil || rep.DNSEvents != 55 || rep.Activity != 0 {
		t.Fatalf("purge: %+v %v, want the 55 old DNS events", rep, err)
	}
	for _, p := range []string{"activity_20250303", "activity_20250601", "activity_20250602"} {
		if exists(p) {
			t.Fatalf("partition %s kept past retention", p)
		}
	}
	if got := countActivity(t, s); got != 10 {
		t.Fatalf("%d events left, want the 10 recent", got)
	}
	// A dropped day written again (a late replay) is made again.
	if err := s.InsertEvents(ctx, idEvents(2, old)); err != nil {
		t.Fatal(err)
	}
	if !exists("activity_20250601") {
		t.Fatal("a dropped day was not made again for its events")
	}
}

// TestMigrationPartitionsActivity converts a PostgreSQL activity table
// with events on several days: every event and index kept, one partition
// a day, ids going on from the old ones.
func TestMigrationPartitionsActivity(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			var opt Options
			if backend == "sqlite" {
				opt.SQLitePath = filepath.Join(t.TempDir(), "old.db")
			} else {
				opt.PostgresDSN = PostgresTestDSN(t)
			}
			old := opt
			old.schemaVersion = len(migrations) - 1
			s1, err := Open(ctx, old)
			if err != nil {
				t.Fatal(err)
			}
			base := time.Date(2026, 3, 9, 22, 0, 0, 0, time.UTC)
			var ev []activity.Event
			for d := range 3 {
				ev = append(ev, idEvents(40, base.Add(time.Duration(d)*24*time.Hour))...)
			}
			// The old schema has no eid column.
			for i := range ev {
				e := ev[i]
				if _, err := s1.w.ExecContext(ctx, `INSERT INTO activity (at, client, username, groups, host, url, categories, verdict, illegal, rule, point, search, action, rhost, blk, ref)
					VALUES ($1, '10.0.0.1', $2, '', $3, '', '', 'allow', false, '', 'dns', '', '', $4, $5, '')`,
					micro(e.Time), e.User, e.Host, reverseHost(e.Host), s1.dialectBlock(micro(e.Time))); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s1.w.ExecContext(ctx, activityBlocksFill); err != nil {
				t.Fatal(err)
			}
			var maxID int64
			if backend == "postgres" {
				s1.r.QueryRowContext(ctx, `SELECT MAX(id) FROM activity`).Scan(&maxID)
			}
			s1.Close()

			s := openTest(t, opt)
			if got := countActivity(t, s); got != 120 {
				t.Fatalf("%d events after the migration, want 120", got)
			}
			var u3 int
			if err := s.SearchActivity(ctx, Actor{Name: "dsl"}, ActivityFilter{User: "u3", Host: "example", Since: base, Limit: -1}, func(activity.Event) error { u3++; return nil }); err != nil {
				t.Fatal(err)
			}
			if u3 != 18 {
				t.Fatalf("search for u3 after the migration: %d events, want 18", u3)
			}
			if err := s.InsertEvents(ctx, idEvents(3, base)); err != nil {
				t.Fatal(err)
			}
			if backend == "sqlite" {
				return
			}
			var days int
			s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_inherits WHERE inhparent = 'activity'::regclass`).Scan(&days)
			if days < 4 { // three days and the default
				t.Fatalf("%d partitions", days)
			}
			for _, name := range []string{"activity_20260309", "activity_20260310", "activity_20260311", "activity_default"} {
				var n int64
				if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+name).Scan(&n); err != nil {
					t.Fatalf("partition %s: %v", name, err)
				}
			}
			for _, idx := range []string{"activity_at", "activity_blk_user", "activity_blk_rhost", "activity_ref", "activity_id", "activity_eid"} {
				var ok bool
				s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1)`, idx).Scan(&ok)
				if !ok {
					t.Fatalf("index %s lost in the conversion", idx)
				}
			}
			// Each partition has every index (not the parent alone).
			var onDay int
			s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'activity_20260310'`).Scan(&onDay)
			if onDay != 6 {
				t.Fatalf("partition activity_20260310 has %d indexes, want the 6 of activity", onDay)
			}
			var newMin int64
			s.r.QueryRowContext(ctx, `SELECT MIN(id) FROM activity WHERE eid IS NOT NULL`).Scan(&newMin)
			if newMin <= maxID {
				t.Fatalf("new event id %d, old ones up to %d: the alert cursor would miss it", newMin, maxID)
			}
		})
	}
}

// dialectBlock is the block of a row written first into an empty SQLite
// table, or of an event at at on PostgreSQL.
func (s *Store) dialectBlock(at int64) int64 {
	if s.dialect == Postgres {
		return pgBlock(at)
	}
	return 0
}
