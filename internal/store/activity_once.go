package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"schoolgate/internal/activity"
)

// isUniqueViolation reports whether err is a unique index refusing a row
// (for the activity table: an event id already stored).
func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		const constraintUnique, constraintPrimaryKey = 2067, 1555
		return lite.Code() == constraintUnique || lite.Code() == constraintPrimaryKey
	}
	return false
}

// eidLookup is how many ids one query looks up.
const eidLookup = 500

// insertNewEvents writes the events of a batch whose ids are not stored
// yet (nor earlier in the batch). It is the slow path, taken only after a
// batch was refused for an id already stored.
func (s *Store) insertNewEvents(ctx context.Context, events []activity.Event) error {
	seen := make(map[activity.EventID]struct{}, len(events))
	for start := 0; start < len(events); start += eidLookup {
		part := events[start:min(start+eidLookup, len(events))]
		if err := s.storedIDs(ctx, part, seen); err != nil {
			return err
		}
	}
	fresh := make([]activity.Event, 0, len(events))
	for i := range events {
		id := events[i].ID
		if !id.IsZero() {
			if _, dup := seen[id]; dup {
				continue
			}
			seen[id] = struct{}{}
		}
		fresh = append(fresh, events[i])
	}
	if len(fresh) == 0 {
		return nil
	}
	return s.insertEvents(ctx, fresh)
}

// storedIDs adds to seen the ids of events that are already stored.
func (s *Store) storedIDs(ctx context.Context, events []activity.Event, seen map[activity.EventID]struct{}) error {
	// Both back ends answer each id in hex.
	var q string
	var args []any
	if s.dialect == Postgres {
		// The unique index is (eid, at): the time range prunes the
		// partitions searched.
		ids := make([][16]byte, 0, len(events))
		lo, hi := int64(1<<63-1), int64(-1<<63)
		for i := range events {
			if !events[i].ID.IsZero() {
				ids = append(ids, [16]byte(events[i].ID))
				at := micro(events[i].Time)
				lo, hi = min(lo, at), max(hi, at)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		q, args = `SELECT replace(eid::text, '-', '') FROM activity WHERE eid = ANY($1) AND at >= $2 AND at <= $3`, []any{ids, lo, hi}
	} else {
		for i := range events {
			if !events[i].ID.IsZero() {
				args = append(args, events[i].ID[:])
			}
		}
		if len(args) == 0 {
			return nil
		}
		q = `SELECT hex(eid) FROM activity WHERE eid IN ` + s.placeholders(1, len(args))
	}
	rows, err := s.w.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: activity ids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return fmt.Errorf("store: activity ids: %w", err)
		}
		var id activity.EventID
		if err := id.UnmarshalText([]byte(h)); err != nil {
			return fmt.Errorf("store: activity ids: %w", err)
		}
		seen[id] = struct{}{}
	}
	return rows.Err()
}
