package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"schoolgate/internal/activity"
)

// activityCols are the activity table's columns, in insert order.
var activityCols = []string{"at", "client", "username", "groups", "host", "url", "categories", "verdict", "illegal", "rule", "point", "search", "action"}

// sqliteChunk is the rows per multi-row INSERT on SQLite (13 parameters a
// row, well under SQLite's 32766-parameter limit).
const sqliteChunk = 500

func eventRow(e *activity.Event) []any {
	client := ""
	if e.Client.IsValid() {
		client = e.Client.Unmap().String()
	}
	return []any{micro(e.Time), client, e.User, joinList(e.Groups), e.Host, e.URL, joinList(e.Categories),
		e.Verdict, e.Illegal, e.Rule, string(e.Point), e.Search, e.Action}
}

// hourKey is one row of the hourly aggregates.
type hourKey struct {
	hour                              int64
	subject, category, verdict, point string
}

// aggregate counts a batch per hour, subject (the user, else the client
// address), category ("" for none), verdict and enforcement point, in a
// fixed order so concurrent writers on PostgreSQL lock rows in the same
// order.
func aggregate(events []activity.Event) ([]hourKey, []int64) {
	m := map[hourKey]int64{}
	for i := range events {
		e := &events[i]
		k := hourKey{hour: micro(e.Time.Truncate(time.Hour)), subject: e.User, verdict: e.Verdict, point: string(e.Point)}
		if k.subject == "" && e.Client.IsValid() {
			k.subject = e.Client.Unmap().String()
		}
		if len(e.Categories) == 0 {
			m[k]++
			continue
		}
		for _, c := range e.Categories {
			k.category = c
			m[k]++
		}
	}
	keys := make([]hourKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b hourKey) int {
		return cmp.Or(cmp.Compare(a.hour, b.hour), cmp.Compare(a.subject, b.subject), cmp.Compare(a.category, b.category),
			cmp.Compare(a.verdict, b.verdict), cmp.Compare(a.point, b.point))
	})
	counts := make([]int64, len(keys))
	for i, k := range keys {
		counts[i] = m[k]
	}
	return keys, counts
}

// InsertEvents writes a batch of events and adds them to the hourly
// aggregates, in one transaction: a multi-row INSERT on SQLite, COPY on
// PostgreSQL. It implements activity.Store.
func (s *Store) InsertEvents(ctx context.Context, events []activity.Event) error {
	if len(events) == 0 {
		return nil
	}
	keys, counts := aggregate(events)
	if s.dialect == Postgres {
		return s.insertEventsPG(ctx, events, keys, counts)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: activity: %w", err)
	}
	defer tx.Rollback()
	insert := "INSERT INTO activity (" + joinList(activityCols) + ") VALUES "
	var full *sql.Stmt
	args := make([]any, 0, sqliteChunk*len(activityCols))
	for start := 0; start < len(events); start += sqliteChunk {
		end := min(start+sqliteChunk, len(events))
		args = args[:0]
		for i := start; i < end; i++ {
			args = append(args, eventRow(&events[i])...)
		}
		if end-start == sqliteChunk {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, insert+s.placeholders(sqliteChunk, len(activityCols))); err != nil {
					return fmt.Errorf("store: activity: %w", err)
				}
				defer full.Close()
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insert+s.placeholders(end-start, len(activityCols)), args...)
		}
		if err != nil {
			return fmt.Errorf("store: activity insert: %w", err)
		}
	}
	if err := s.upsertHourly(keys, counts, func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: activity commit: %w", err)
	}
	return nil
}

const hourlyUpsert = ` ON CONFLICT (hour, subject, category, verdict, point) DO UPDATE SET count = activity_hourly.count + excluded.count`

// upsertHourly adds counts to the hourly aggregates through exec (a
// database/sql or a native pgx transaction).
func (s *Store) upsertHourly(keys []hourKey, counts []int64, exec func(q string, args ...any) error) error {
	const chunk = 400
	for start := 0; start < len(keys); start += chunk {
		end := min(start+chunk, len(keys))
		args := make([]any, 0, (end-start)*6)
		for i := start; i < end; i++ {
			k := keys[i]
			args = append(args, k.hour, k.subject, k.category, k.verdict, k.point, counts[i])
		}
		q := `INSERT INTO activity_hourly (hour, subject, category, verdict, point, count) VALUES ` + s.placeholders(end-start, 6) + hourlyUpsert
		if err := exec(q, args...); err != nil {
			return fmt.Errorf("store: activity aggregates: %w", err)
		}
	}
	return nil
}

func (s *Store) insertEventsPG(ctx context.Context, events []activity.Event, keys []hourKey, counts []int64) error {
	return withPgx(ctx, s.w, func(c *pgx.Conn) error {
		tx, err := c.Begin(ctx)
		if err != nil {
			return fmt.Errorf("store: activity: %w", err)
		}
		defer tx.Rollback(ctx)
		i := 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(events) {
				return nil, nil
			}
			row := eventRow(&events[i])
			i++
			return row, nil
		})
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"activity"}, activityCols, src); err != nil {
			return fmt.Errorf("store: activity COPY: %w", err)
		}
		if err := s.upsertHourly(keys, counts, func(q string, args ...any) error {
			_, err := tx.Exec(ctx, q, args...)
			return err
		}); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("store: activity commit: %w", err)
		}
		return nil
	})
}
