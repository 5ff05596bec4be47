package store

import (
	"context"
	"fmt"
	"time"
)

// FilterChangeCounts are the filtering changes made through Schoolgate in
// a period, as counts only (the governors' report).
type FilterChangeCounts struct {
	Approved, Denied int64            // requests decided in the period
	Overrides        map[string]int64 // overrides made in the period, by kind
}

// CountFilterChanges counts the requests decided and the overrides made
// from from (inclusive) to to (exclusive). It reads no names.
func (s *Store) CountFilterChanges(ctx context.Context, from, to time.Time) (FilterChangeCounts, error) {
	out := FilterChangeCounts{Overrides: map[string]int64{}}
	rows, err := s.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM requests WHERE decided_at >= $1 AND decided_at < $2 GROUP BY status`, micro(from), micro(to))
	if err != nil {
		return out, fmt.Errorf("store: request counts: %w", err)
	}
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			rows.Close()
			return out, fmt.Errorf("store: request counts: %w", err)
		}
		switch status {
		case StatusApproved:
			out.Approved += n
		case StatusDenied:
			out.Denied += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("store: request counts: %w", err)
	}
	rows, err = s.r.QueryContext(ctx, `SELECT kind, COUNT(*) FROM overrides WHERE created >= $1 AND created < $2 GROUP BY kind`, micro(from), micro(to))
	if err != nil {
		return out, fmt.Errorf("store: override counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var n int64
		if err := rows.Scan(&kind, &n); err != nil {
			return out, fmt.Errorf("store: override counts: %w", err)
		}
		out.Overrides[kind] += n
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("store: override counts: %w", err)
	}
	return out, nil
}
