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
var activityCols = []string{"at", "client", "username", "groups", "host", "rhost", "url", "categories", "verdict", "illegal", "rule", "point", "search", "action", "ref", "blk"}

// sqliteChunk is the rows per multi-row INSERT on SQLite (16 parameters a
// row, well under SQLite's 32766-parameter limit); the statement for a
// full chunk is prepared once and reused by every batch.
const sqliteChunk = 256

// blockShift sizes SQLite's index blocks: 1<<16 = 65,536 events each
// (schema.go, version 2).
const blockShift = 16

// sqliteInsertActivity starts the multi-row INSERT. OR FAIL instead of the
// default ABORT spares SQLite a statement journal: with ABORT every
// multi-row statement inside a transaction first copies each page it
// touches so that it alone can be undone, which was a third of the
// writer's time. A failed statement fails the whole batch anyway (its
// transaction is rolled back).
const sqliteInsertActivity = "INSERT OR FAIL INTO activity (at, client, username, groups, host, rhost, url, categories, verdict, illegal, rule, point, search, action, ref, blk) VALUES "

func appendEventRow(args []any, e *activity.Event, blk int64) []any {
	client := ""
	if e.Client.IsValid() {
		client = e.Client.Unmap().String()
	}
	return append(args, micro(e.Time), client, e.User, joinList(e.Groups), e.Host, reverseHost(e.Host), e.URL, joinList(e.Categories),
		e.Verdict, e.Illegal, e.Rule, string(e.Point), e.Search, e.Action, e.Ref, blk)
}

// blockSpan is what a batch adds to one block's entry in activity_blocks.
type blockSpan struct {
	blk, minAt, maxAt, events int64
}

// addToBlocks extends spans (in block order) with an event at at in blk.
func addToBlocks(spans []blockSpan, blk, at int64) []blockSpan {
	if n := len(spans); n > 0 && spans[n-1].blk == blk {
		sp := &spans[n-1]
		sp.minAt, sp.maxAt, sp.events = min(sp.minAt, at), max(sp.maxAt, at), sp.events+1
		return spans
	}
	return append(spans, blockSpan{blk: blk, minAt: at, maxAt: at, events: 1})
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

// InsertEvents writes a batch of events, adds them to the hourly
// aggregates and to their blocks' time ranges, in one transaction: reused
// multi-row INSERTs on SQLite, COPY on PostgreSQL. It implements
// activity.Store.
func (s *Store) InsertEvents(ctx context.Context, events []activity.Event) error {
	if len(events) == 0 {
		return nil
	}
	keys, counts := aggregate(events)
	if s.dialect == Postgres {
		return s.insertEventsPG(ctx, events, keys, counts)
	}
	// Prepared before the transaction takes the writer's one connection.
	full, hourly, err := s.activityStmts(ctx)
	if err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: activity: %w", err)
	}
	defer tx.Rollback()
	// New rows take rowids from last+1 on (the writer holds the lock), so
	// each row's block is known before it is written.
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(rowid), 0) FROM activity`).Scan(&last); err != nil {
		return fmt.Errorf("store: activity: %w", err)
	}
	full, hourly = tx.StmtContext(ctx, full), tx.StmtContext(ctx, hourly)
	var spans []blockSpan
	args := make([]any, 0, sqliteChunk*len(activityCols))
	for start := 0; start < len(events); start += sqliteChunk {
		end := min(start+sqliteChunk, len(events))
		args = args[:0]
		for i := start; i < end; i++ {
			blk := (last + 1 + int64(i)) >> blockShift
			args = appendEventRow(args, &events[i], blk)
			spans = addToBlocks(spans, blk, micro(events[i].Time))
		}
		if end-start == sqliteChunk {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, sqliteInsertActivity+s.placeholders(end-start, len(activityCols)), args...)
		}
		if err != nil {
			return fmt.Errorf("store: activity insert: %w", err)
		}
	}
	exec := func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	if err := s.upsertBlocks(spans, exec); err != nil {
		return err
	}
	if err := s.upsertHourly(keys, counts, exec, func(args ...any) error {
		_, err := hourly.ExecContext(ctx, args...)
		return err
	}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: activity commit: %w", err)
	}
	return nil
}

// activityStmts are SQLite's prepared statements for a full chunk of
// events and of hourly aggregates on the writer's connection, prepared on
// first use.
func (s *Store) activityStmts(ctx context.Context) (insert, hourly *sql.Stmt, err error) {
	s.insMu.Lock()
	defer s.insMu.Unlock()
	if s.insAct == nil {
		if s.insAct, err = s.w.PrepareContext(ctx, sqliteInsertActivity+s.placeholders(sqliteChunk, len(activityCols))); err != nil {
			return nil, nil, fmt.Errorf("store: activity: %w", err)
		}
	}
	if s.insHourly == nil {
		if s.insHourly, err = s.w.PrepareContext(ctx, s.hourlyInsert(hourlyChunk)); err != nil {
			return nil, nil, fmt.Errorf("store: activity: %w", err)
		}
	}
	return s.insAct, s.insHourly, nil
}

// upsertBlocks widens the blocks' time ranges and counts (one row each,
// usually one or two a batch).
func (s *Store) upsertBlocks(spans []blockSpan, exec func(q string, args ...any) error) error {
	least, greatest := "MIN", "MAX"
	if s.dialect == Postgres {
		least, greatest = "LEAST", "GREATEST"
	}
	for _, sp := range spans {
		err := exec(`INSERT INTO activity_blocks (blk, min_at, max_at, events) VALUES ($1, $2, $3, $4)
			ON CONFLICT (blk) DO UPDATE SET min_at = `+least+`(activity_blocks.min_at, excluded.min_at),
			max_at = `+greatest+`(activity_blocks.max_at, excluded.max_at), events = activity_blocks.events + excluded.events`,
			sp.blk, sp.minAt, sp.maxAt, sp.events)
		if err != nil {
			return fmt.Errorf("store: activity blocks: %w", err)
		}
	}
	return nil
}

const hourlyUpsert = ` ON CONFLICT (hour, subject, category, verdict, point) DO UPDATE SET count = activity_hourly.count + excluded.count`

// upsertHourly adds counts to the hourly aggregates through exec (a
// database/sql or a native pgx transaction).
// full, when not nil, runs the statement of a full chunk (prepared).
func (s *Store) upsertHourly(keys []hourKey, counts []int64, exec func(q string, args ...any) error, full func(args ...any) error) error {
	args := make([]any, 0, hourlyChunk*6)
	for start := 0; start < len(keys); start += hourlyChunk {
		end := min(start+hourlyChunk, len(keys))
		args = args[:0]
		for i := start; i < end; i++ {
			k := keys[i]
			args = append(args, k.hour, k.subject, k.category, k.verdict, k.point, counts[i])
		}
		var err error
		if full != nil && end-start == hourlyChunk {
			err = full(args...)
		} else {
			err = exec(s.hourlyInsert(end-start), args...)
		}
		if err != nil {
			return fmt.Errorf("store: activity aggregates: %w", err)
		}
	}
	return nil
}

// hourlyChunk is the aggregate rows per upsert statement.
const hourlyChunk = 400

// hourlyInsert is the upsert of n aggregate rows.
func (s *Store) hourlyInsert(n int) string {
	return `INSERT INTO activity_hourly (hour, subject, category, verdict, point, count) VALUES ` + s.placeholders(n, 6) + hourlyUpsert
}

func (s *Store) insertEventsPG(ctx context.Context, events []activity.Event, keys []hourKey, counts []int64) error {
	return withPgx(ctx, s.w, func(c *pgx.Conn) error {
		tx, err := c.Begin(ctx)
		if err != nil {
			return fmt.Errorf("store: activity: %w", err)
		}
		defer tx.Rollback(ctx)
		// PostgreSQL's B-trees take random inserts well: one block, 0.
		var spans []blockSpan
		i := 0
		row := make([]any, 0, len(activityCols))
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(events) {
				return nil, nil
			}
			row = appendEventRow(row[:0], &events[i], 0)
			spans = addToBlocks(spans, 0, micro(events[i].Time))
			i++
			return row, nil
		})
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"activity"}, activityCols, src); err != nil {
			return fmt.Errorf("store: activity COPY: %w", err)
		}
		exec := func(q string, args ...any) error {
			_, err := tx.Exec(ctx, q, args...)
			return err
		}
		if err := s.upsertBlocks(spans, exec); err != nil {
			return err
		}
		if err := s.upsertHourly(keys, counts, exec, nil); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("store: activity commit: %w", err)
		}
		return nil
	})
}
