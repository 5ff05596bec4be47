package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"
)

// PostgreSQL's activity table is partitioned by UTC day (migration
// "activity: event ids; PostgreSQL partitioned by day"): activity_YYYYMMDD
// holds the events of that day, activity_default anything else. A batch
// first makes sure its days' partitions exist, and the next dayAhead days'
// (so that the first batch after midnight finds its day ready, made by the
// day before); a partition another node made is found, not made twice.
// An event whose partition is missing all the same (dropped by a purge on
// another node meanwhile) lands in the default partition: never refused.

// dayMicro is a day in microseconds (at's unit).
const dayMicro = 86400 * 1_000_000

// dayAhead is how many days after a batch's last one are made ready.
const dayAhead = 2

// partitionLock serialises the making and dropping of activity partitions
// across nodes (7311 is the migrations').
const partitionLock = 7312

// dayPartitions remembers the day partitions known to exist, so a batch
// asks the database only about a day it has not seen.
type dayPartitions struct {
	mu    sync.Mutex
	known map[int64]bool // day number since the epoch
}

func (d *dayPartitions) has(day int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.known[day]
}

func (d *dayPartitions) set(day int64, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.known == nil {
		d.known = make(map[int64]bool)
	}
	if ok {
		d.known[day] = true
	} else {
		delete(d.known, day)
	}
}

// dayOf is the UTC day number of at (microseconds).
func dayOf(at int64) int64 {
	if at < 0 {
		return (at+1)/dayMicro - 1
	}
	return at / dayMicro
}

// partitionName is a day's partition: activity_YYYYMMDD.
func partitionName(day int64) string {
	return "activity_" + time.Unix(day*86400, 0).UTC().Format("20060102")
}

// partitionDay reads a partition's day back from its name.
func partitionDay(name string) (int64, bool) {
	d, ok := strings.CutPrefix(name, "activity_")
	if !ok || len(d) != 8 {
		return 0, false
	}
	t, err := time.Parse("20060102", d)
	if err != nil {
		return 0, false
	}
	return t.Unix() / 86400, true
}

// ensureDays makes the partitions of the days from first to last, and the
// dayAhead days after, that this process has not seen yet (PostgreSQL
// only).
func (s *Store) ensureDays(ctx context.Context, first, last int64) error {
	for day := first; day <= last+dayAhead; day++ {
		if s.days.has(day) {
			continue
		}
		if err := s.makeDay(ctx, day); err != nil {
			return err
		}
		s.days.set(day, true)
	}
	return nil
}

// makeDay makes a day's partition unless it exists. Events of that day
// already in the default partition (written while it was missing) move
// into it: PostgreSQL refuses a partition whose rows sit in the default
// one, so the default partition is detached for the move and attached
// again, all in one transaction.
func (s *Store) makeDay(ctx context.Context, day int64) error {
	name := partitionName(day)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: activity partition %s: %w", name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, partitionLock); err != nil {
		return fmt.Errorf("store: activity partition %s: %w", name, err)
	}
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists); err != nil {
		return fmt.Errorf("store: activity partition %s: %w", name, err)
	}
	if exists {
		return tx.Commit()
	}
	lo, hi := day*dayMicro, (day+1)*dayMicro
	var stray bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM activity_default WHERE at >= $1 AND at < $2)`, lo, hi).Scan(&stray); err != nil {
		return fmt.Errorf("store: activity partition %s: %w", name, err)
	}
	create := fmt.Sprintf(`CREATE TABLE %s PARTITION OF activity FOR VALUES FROM (%d) TO (%d)`, name, lo, hi)
	stmts := []string{create}
	if stray {
		stmts = []string{
			`ALTER TABLE activity DETACH PARTITION activity_default`,
			create,
			fmt.Sprintf(`INSERT INTO activity SELECT * FROM activity_default WHERE at >= %d AND at < %d`, lo, hi),
			fmt.Sprintf(`DELETE FROM activity_default WHERE at >= %d AND at < %d`, lo, hi),
			`ALTER TABLE activity ATTACH PARTITION activity_default DEFAULT`,
		}
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: activity partition %s: %w: %s", name, err, firstLine(q))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: activity partition %s: %w", name, err)
	}
	s.log.Info("activity partition made", "partition", name, "moved_from_default", stray)
	return nil
}

// dayPartition is one day's partition of PostgreSQL's activity table.
type dayPartition struct {
	name string
	day  int64
}

// listDays lists the day partitions, oldest first.
func (s *Store) listDays(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]dayPartition, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'activity'::regclass ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("store: activity partitions: %w", err)
	}
	defer rows.Close()
	var out []dayPartition
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("store: activity partitions: %w", err)
		}
		if day, ok := partitionDay(name); ok {
			out = append(out, dayPartition{name, day})
		}
	}
	return out, rows.Err()
}

// dropDays drops the day partitions wholly before before (microseconds),
// counting their DNS and other events into dns and other first; a dry run
// only counts. Only whole days go: what remains older than a cut-off is
// deleted row by row (Purge).
func (s *Store) dropDays(ctx context.Context, before int64, dryRun bool, dns, other *int64) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: drop activity partitions: %w", err)
	}
	defer tx.Rollback()
	if !dryRun {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, partitionLock); err != nil {
			return fmt.Errorf("store: drop activity partitions: %w", err)
		}
	}
	days, err := s.listDays(ctx, tx)
	if err != nil {
		return err
	}
	var dropped []int64
	for _, p := range days {
		if (p.day+1)*dayMicro > before {
			break
		}
		var d, o int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE point = 'dns'), COUNT(*) FILTER (WHERE point <> 'dns') FROM `+p.name).Scan(&d, &o); err != nil {
			return fmt.Errorf("store: drop activity partition %s: %w", p.name, err)
		}
		*dns += d
		*other += o
		if dryRun {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DROP TABLE `+p.name); err != nil {
			return fmt.Errorf("store: drop activity partition %s: %w", p.name, err)
		}
		dropped = append(dropped, p.day)
	}
	if dryRun {
		return nil
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: drop activity partitions: %w", err)
	}
	for _, day := range dropped {
		s.days.set(day, false)
	}
	return nil
}
