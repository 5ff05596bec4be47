package store

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// The hourly aggregates (hour, subject, category, verdict, point, count)
// outlive the raw events: DNS events go after 30 days, the aggregates stay
// for the whole activity period. They are made from the events, not kept
// up to date batch by batch: updating them in every batch's transaction
// cost a quarter of PostgreSQL's ingestion rate (every batch rewrites
// thousands of counter rows) and a tenth of SQLite's.
//
// Once an hour has ended and rollupGrace has passed, Rollup counts its
// events in one GROUP BY and writes the hour's aggregates and its mark in
// activity_rollups, in one transaction. The events stay the source of
// truth, so a crash loses no counts, and rolling an hour up again gives
// the same rows. Until an hour is rolled up, Summarize counts it from
// the events.

// rollupGrace is how long after an hour ends its events may still arrive
// (a batch retried, a node's queue draining): an hour is rolled up, once
// and for all, after that. An event written later still, for an hour
// already rolled up, stays in the log but is not counted.
const rollupGrace = 5 * time.Minute

var hourMicro = time.Hour.Microseconds()

// hourKey is one row of the hourly aggregates; groups (the event's
// groups, comma-separated) is kept while counting and split into the
// aggregates by group (rollup_groups.go).
type hourKey struct {
	hour                                            int64
	site, subject, groups, category, verdict, point string
}

// hourCounts adds up the grouped rows of the events of hours, school by
// school: the subject is the user, else the client address; an event
// counts once under each of its categories ("" for none).
type hourCounts map[hourKey]int64

func (h hourCounts) add(hour int64, site, subject, groups, categories, verdict, point string, n int64) {
	k := hourKey{hour: hour, site: site, subject: subject, groups: groups, verdict: verdict, point: point}
	if categories == "" {
		h[k] += n
		return
	}
	for c := range strings.SplitSeq(categories, ",") {
		k.category = c
		h[k] += n
	}
}

// sorted returns the keys without their groups (activity_hourly's rows)
// in a fixed order, with their counts: sorted with the groups last, the
// keys that differ only in their groups are adjacent and add up.
func (h hourCounts) sorted() ([]hourKey, []int64) {
	keys := make([]hourKey, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b hourKey) int {
		return cmp.Or(cmp.Compare(a.hour, b.hour), cmp.Compare(a.site, b.site), cmp.Compare(a.subject, b.subject), cmp.Compare(a.category, b.category),
			cmp.Compare(a.verdict, b.verdict), cmp.Compare(a.point, b.point), cmp.Compare(a.groups, b.groups))
	})
	counts := make([]int64, 0, len(keys))
	out := keys[:0]
	for _, k := range keys {
		n := h[k]
		k.groups = ""
		if len(out) > 0 && out[len(out)-1] == k {
			counts[len(counts)-1] += n
			continue
		}
		out = append(out, k)
		counts = append(counts, n)
	}
	return out, counts
}

// countEvents groups the events from from (inclusive) to to (exclusive),
// hour by hour, into h, and returns how many there were.
func (s *Store) countEvents(ctx context.Context, from, to int64, h hourCounts) (int64, error) {
	if s.dialect == SQLite {
		return s.countEventsGo(ctx, from, to, h)
	}
	return s.countEventsSQL(ctx, from, to, h)
}

// countEventsGo groups in Go, for SQLite: it has no hash aggregation, and
// sorting an hour's rows for a GROUP BY took 2.4 times as long. Each row
// comes as two columns, the time and the group's fields joined by NULs
// (the driver's cost is per column); none of them can hold a NUL
// (usernames are checked, the client is an address, the rest are names
// from the policy).
func (s *Store) countEventsGo(ctx context.Context, from, to int64, h hourCounts) (int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT at, CASE WHEN username <> '' THEN username ELSE client END
		|| char(0) || groups || char(0) || categories || char(0) || verdict || char(0) || point || char(0) || site FROM activity WHERE at >= $1 AND at < $2`, from, to)
	if err != nil {
		return 0, fmt.Errorf("store: counting events: %w", err)
	}
	defer rows.Close()
	counts := map[string]int64{}
	var total, at int64
	var fields sql.RawBytes
	key := make([]byte, 0, 128)
	for rows.Next() {
		if err := rows.Scan(&at, &fields); err != nil {
			return 0, fmt.Errorf("store: counting events: %w", err)
		}
		key = binary.BigEndian.AppendUint64(key[:0], uint64(at-at%hourMicro))
		key = append(key, fields...)
		counts[string(key)]++
		total++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: counting events: %w", err)
	}
	for k, n := range counts {
		f := strings.SplitN(k[8:], "\x00", 6)
		if len(f) != 6 {
			return 0, fmt.Errorf("store: counting events: a group of %d fields", len(f))
		}
		h.add(int64(binary.BigEndian.Uint64([]byte(k[:8]))), f[5], f[0], f[1], f[2], f[3], f[4], n)
	}
	return total, nil
}

// countEventsSQL groups in the server, for PostgreSQL (a hash aggregate:
// 12 % faster than fetching every row).
func (s *Store) countEventsSQL(ctx context.Context, from, to int64, h hourCounts) (int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT at - at % `+fmt.Sprint(hourMicro)+`, CASE WHEN username <> '' THEN username ELSE client END,
		groups, categories, verdict, point, site, COUNT(*) FROM activity WHERE at >= $1 AND at < $2 GROUP BY 1, 2, 3, 4, 5, 6, 7`, from, to)
	if err != nil {
		return 0, fmt.Errorf("store: counting events: %w", err)
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var hour, n int64
		var subject, groups, cats, verdict, point, site string
		if err := rows.Scan(&hour, &subject, &groups, &cats, &verdict, &point, &site, &n); err != nil {
			return 0, fmt.Errorf("store: counting events: %w", err)
		}
		h.add(hour, site, subject, groups, cats, verdict, point, n)
		total += n
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: counting events: %w", err)
	}
	return total, nil
}

// RollupReport says what a Rollup did.
type RollupReport struct {
	Hours  int   `json:"hours"`
	Events int64 `json:"events"`
	Rows   int   `json:"rows"`
}

// rolledUpTo is the start of the hour after the newest hour rolled up (0
// when none is).
func (s *Store) rolledUpTo(ctx context.Context) (int64, error) {
	var last sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT MAX(hour) FROM activity_rollups`).Scan(&last); err != nil {
		return 0, fmt.Errorf("store: rollups: %w", err)
	}
	if !last.Valid {
		return 0, nil
	}
	return last.Int64 + hourMicro, nil
}

// RolledUpTo is the end of the newest hour rolled up (zero when none is):
// hourly counts before it come from activity_hourly, after it from the
// events. Behind the clock by much more than an hour and rollupGrace, the
// roll-ups have stopped (and the retention purge waits for them).
func (s *Store) RolledUpTo(ctx context.Context) (time.Time, error) {
	upTo, err := s.rolledUpTo(ctx)
	return fromMicro(upTo), err
}

// Rollup makes the hourly aggregates of every hour that has events, ended
// at least rollupGrace before now and is not yet rolled up, oldest first,
// one transaction an hour. On PostgreSQL, while one node rolls up, the
// others' Rollup returns at once with nothing done.
func (s *Store) Rollup(ctx context.Context, now time.Time) (RollupReport, error) {
	var rep RollupReport
	if s.dialect == Postgres {
		// One node rolls up at a time; the others skip this round
		// rather than count the same hours for nothing.
		conn, err := s.w.Conn(ctx)
		if err != nil {
			return rep, fmt.Errorf("store: rollup: %w", err)
		}
		defer conn.Close()
		var mine bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(7313)`).Scan(&mine); err != nil {
			return rep, fmt.Errorf("store: rollup lock: %w", err)
		}
		if !mine {
			return rep, nil
		}
		defer func() {
			if _, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7313)`); err != nil {
				// Drop the session, and the lock with it, rather than
				// pool a connection that still holds it.
				conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}()
	}
	end := micro(now.Add(-rollupGrace).Truncate(time.Hour)) // hours before this one have ended
	from, err := s.rolledUpTo(ctx)
	if err != nil {
		return rep, err
	}
	for {
		// The next hour with events: one index seek, however long the
		// gap (a weekend, a holiday).
		var next sql.NullInt64
		if err := s.r.QueryRowContext(ctx, `SELECT MIN(at) FROM activity WHERE at >= $1`, from).Scan(&next); err != nil {
			return rep, fmt.Errorf("store: rollup: %w", err)
		}
		if !next.Valid {
			return rep, nil
		}
		hour := next.Int64 - next.Int64%hourMicro
		if hour+hourMicro > end {
			return rep, nil
		}
		events, rows, done, err := s.rollupHour(ctx, hour, now)
		if err != nil {
			return rep, err
		}
		if done {
			rep.Hours++
			rep.Events += events
			rep.Rows += rows
		}
		from = hour + hourMicro
	}
}

// rollupHour counts one hour's events and replaces its aggregates; done is
// false when another node did it first. The counting reads through the
// read pool, so the writer (and the activity log behind it) waits only for
// the short write. On PostgreSQL a lock keeps two nodes from writing the
// same hour.
func (s *Store) rollupHour(ctx context.Context, hour int64, now time.Time) (events int64, rows int, done bool, err error) {
	h := hourCounts{}
	if events, err = s.countEvents(ctx, hour, hour+hourMicro, h); err != nil {
		return 0, 0, false, err
	}
	gkeys, gcounts := h.byGroup(true)
	keys, counts := h.sorted()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, false, fmt.Errorf("store: rollup: %w", err)
	}
	defer tx.Rollback()
	if s.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7312)`); err != nil {
			return 0, 0, false, fmt.Errorf("store: rollup lock: %w", err)
		}
	}
	var already bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM activity_rollups WHERE hour = $1)`, hour).Scan(&already); err != nil {
		return 0, 0, false, fmt.Errorf("store: rollup: %w", err)
	}
	if already {
		return 0, 0, false, nil
	}
	exec := func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	// Rows of an hour left unfinished by the per-batch aggregates of
	// schema version 3 and earlier.
	if err := exec(`DELETE FROM activity_hourly WHERE hour = $1`, hour); err != nil {
		return 0, 0, false, fmt.Errorf("store: rollup: %w", err)
	}
	if err := s.insertHourly(keys, counts, exec); err != nil {
		return 0, 0, false, err
	}
	if err := s.insertGroupHourly(hour, gkeys, gcounts, exec); err != nil {
		return 0, 0, false, err
	}
	if err := exec(`INSERT INTO activity_rollups (hour, events, rolled_at, grouped) VALUES ($1, $2, $3, 1)`, hour, events, micro(now)); err != nil {
		return 0, 0, false, fmt.Errorf("store: rollup: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, false, fmt.Errorf("store: rollup commit: %w", err)
	}
	return events, len(keys), true, nil
}

// hourlyChunk is the aggregate rows per INSERT.
const hourlyChunk = 400

// insertHourly writes an hour's aggregates (its old rows deleted first, so
// every key is new) through exec, hourlyChunk rows a statement.
func (s *Store) insertHourly(keys []hourKey, counts []int64, exec func(q string, args ...any) error) error {
	args := make([]any, 0, hourlyChunk*7)
	for start := 0; start < len(keys); start += hourlyChunk {
		end := min(start+hourlyChunk, len(keys))
		args = args[:0]
		for i := start; i < end; i++ {
			k := keys[i]
			args = append(args, k.hour, k.site, k.subject, k.category, k.verdict, k.point, counts[i])
		}
		if err := exec(`INSERT INTO activity_hourly (hour, site, subject, category, verdict, point, count) VALUES `+s.placeholders(end-start, 7), args...); err != nil {
			return fmt.Errorf("store: activity aggregates: %w", err)
		}
	}
	return nil
}

// RunRollups rolls up now and then every interval (default a minute) until
// ctx ends.
func (s *Store) RunRollups(ctx context.Context, interval time.Duration, log *slog.Logger) error {
	if interval <= 0 {
		interval = time.Minute
	}
	if log == nil {
		log = s.log
	}
	every(ctx, interval, func() {
		if !s.Reachable() {
			return // the database does not answer: the next run catches up
		}
		rep, err := s.Rollup(ctx, s.now())
		if err == nil {
			var n int
			n, err = s.RollupGroups(ctx, 24)
			rep.Hours += n
		}
		switch {
		case ctx.Err() != nil:
		case err != nil:
			log.Error("activity rollup failed", "err", err)
		case rep.Hours > 0:
			log.Info("activity rolled up", "hours", rep.Hours, "events", rep.Events, "aggregates", rep.Rows)
		}
	})
	return nil
}
