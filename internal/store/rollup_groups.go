package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// groupKey is one row of the hourly aggregates by group
// (schema_group_hourly.go).
type groupKey struct {
	hour                                  int64
	site, group, category, verdict, point string
}

// allGroups is the aggregates by group's row of every event, once each
// (not a group name: those are the policy's names, which cannot be "*").
const allGroups = "*"

// byGroup splits the counts by the events' groups: an event counts once
// under each of its groups ("" for none), never by subject; with all, once
// more under allGroups.
func (h hourCounts) byGroup(all bool) ([]groupKey, []int64) {
	m := map[groupKey]int64{}
	for k, n := range h {
		g := groupKey{hour: k.hour, site: k.site, category: k.category, verdict: k.verdict, point: k.point}
		if all {
			g.group = allGroups
			m[g] += n
			g.group = ""
		}
		if k.groups == "" {
			m[g] += n
			continue
		}
		for grp := range strings.SplitSeq(k.groups, ",") {
			g.group = grp
			m[g] += n
		}
	}
	keys := make([]groupKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b groupKey) int {
		return cmp.Or(cmp.Compare(a.hour, b.hour), cmp.Compare(a.site, b.site), cmp.Compare(a.group, b.group), cmp.Compare(a.category, b.category),
			cmp.Compare(a.verdict, b.verdict), cmp.Compare(a.point, b.point))
	})
	counts := make([]int64, len(keys))
	for i, k := range keys {
		counts[i] = m[k]
	}
	return keys, counts
}

// insertGroupHourly replaces an hour's aggregates by group through exec.
func (s *Store) insertGroupHourly(hour int64, keys []groupKey, counts []int64, exec func(q string, args ...any) error) error {
	if err := exec(`DELETE FROM activity_group_hourly WHERE hour = $1`, hour); err != nil {
		return fmt.Errorf("store: activity aggregates by group: %w", err)
	}
	args := make([]any, 0, hourlyChunk*7)
	for start := 0; start < len(keys); start += hourlyChunk {
		end := min(start+hourlyChunk, len(keys))
		args = args[:0]
		for i := start; i < end; i++ {
			k := keys[i]
			args = append(args, k.hour, k.site, k.group, k.category, k.verdict, k.point, counts[i])
		}
		if err := exec(`INSERT INTO activity_group_hourly (hour, site, grp, category, verdict, point, count) VALUES `+s.placeholders(end-start, 7), args...); err != nil {
			return fmt.Errorf("store: activity aggregates by group: %w", err)
		}
	}
	return nil
}

// RollupGroups makes the aggregates by group of up to limit hours rolled
// up before they existed (oldest first) from the events still kept, and
// returns how many hours it did. They are marked grouped = 2: without the
// allGroups row, whose counts activity_hourly keeps for them. RunRollups calls it every round until
// none is left.
func (s *Store) RollupGroups(ctx context.Context, limit int) (int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT hour FROM activity_rollups WHERE grouped = 0 ORDER BY hour LIMIT $1`, limit)
	if err != nil {
		return 0, fmt.Errorf("store: rollup by group: %w", err)
	}
	var hours []int64
	for rows.Next() {
		var h int64
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: rollup by group: %w", err)
		}
		hours = append(hours, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: rollup by group: %w", err)
	}
	for _, hour := range hours {
		h := hourCounts{}
		if _, err := s.countEvents(ctx, hour, hour+hourMicro, h); err != nil {
			return 0, err
		}
		keys, counts := h.byGroup(false) // no allGroups row: its events may be gone (DNS)
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return 0, fmt.Errorf("store: rollup by group: %w", err)
		}
		exec := func(q string, args ...any) error {
			_, err := tx.ExecContext(ctx, q, args...)
			return err
		}
		if s.dialect == Postgres {
			err = exec(`SELECT pg_advisory_xact_lock(7312)`) // one node writes an hour
		}
		var done bool
		if err == nil {
			err = tx.QueryRowContext(ctx, `SELECT grouped <> 0 FROM activity_rollups WHERE hour = $1`, hour).Scan(&done)
		}
		if err == nil && done {
			tx.Rollback()
			continue
		}
		if err == nil {
			err = s.insertGroupHourly(hour, keys, counts, exec)
		}
		if err == nil {
			err = exec(`UPDATE activity_rollups SET grouped = 2 WHERE hour = $1`, hour)
		}
		if err == nil {
			err = tx.Commit()
		}
		tx.Rollback()
		if err != nil {
			return 0, fmt.Errorf("store: rollup by group: %w", err)
		}
	}
	return len(hours), nil
}
