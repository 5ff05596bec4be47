package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"schoolgate/internal/activity"
)

// activityCols are the activity table's columns, in insert order.
var activityCols = []string{"at", "client", "username", "groups", "host", "rhost", "url", "categories", "verdict", "illegal", "rule", "point", "search", "action", "ref", "blk", "site", "eid"}

// sqliteChunk is the rows per multi-row INSERT on SQLite (18 parameters a
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
const sqliteInsertActivity = "INSERT OR FAIL INTO activity (at, client, username, groups, host, rhost, url, categories, verdict, illegal, rule, point, search, action, ref, blk, site, eid) VALUES "

// appendEventRow appends an event's columns; eid is the event's id as the
// driver takes it (eidSQLite or eidPG).
func appendEventRow(args []any, e *activity.Event, blk int64, eid func(activity.EventID) any) []any {
	site := e.Site
	if site == "" {
		site = DefaultSite // a single school's writer names none
	}
	return append(args, micro(e.Time), clientText(e.Client), e.User, joinList(e.Groups), e.Host, reverseHost(e.Host), e.URL, joinList(e.Categories),
		e.Verdict, e.Illegal, e.Rule, string(e.Point), e.Search, e.Action, e.Ref, blk, site, eid(e.ID))
}

// eidSQLite is an event id as SQLite stores it (a blob; NULL when unset).
func eidSQLite(id activity.EventID) any {
	if id.IsZero() {
		return nil
	}
	return id[:]
}

// eidPG is an event id as PostgreSQL stores it (a uuid; NULL when unset).
func eidPG(id activity.EventID) any {
	if id.IsZero() {
		return nil
	}
	return [16]byte(id)
}

// blockSpan is what a batch adds to one block's entry in activity_blocks.
type blockSpan struct {
	blk, minAt, maxAt, events int64
}

// mergeSpans sorts spans by block and merges those of the same block
// (events out of order across a block boundary leave several).
func mergeSpans(spans []blockSpan) []blockSpan {
	slices.SortFunc(spans, func(a, b blockSpan) int { return cmp.Compare(a.blk, b.blk) })
	out := spans[:0]
	for _, sp := range spans {
		if n := len(out); n > 0 && out[n-1].blk == sp.blk {
			last := &out[n-1]
			last.minAt, last.maxAt, last.events = min(last.minAt, sp.minAt), max(last.maxAt, sp.maxAt), last.events+sp.events
			continue
		}
		out = append(out, sp)
	}
	return out
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

// InsertEvents writes a batch of events and widens their blocks' time
// ranges, in one transaction: reused multi-row INSERTs on SQLite, COPY on
// PostgreSQL. The hourly aggregates are not touched: Rollup makes them
// from the events once an hour has ended (rollup.go). A batch holding
// events already stored (by their ids: a replayed spool, a retried batch
// whose first commit went through) is written again without them
// (activity_once.go). It implements activity.Store.
func (s *Store) InsertEvents(ctx context.Context, events []activity.Event) error {
	err := s.insertEvents(ctx, events)
	if err != nil && isUniqueViolation(err) {
		return s.insertNewEvents(ctx, events)
	}
	return err
}

// insertEvents writes a batch in one transaction; an event id already
// stored fails it whole.
func (s *Store) insertEvents(ctx context.Context, events []activity.Event) error {
	if len(events) == 0 {
		return nil
	}
	if s.dialect == Postgres {
		return s.insertEventsPG(ctx, events)
	}
	// Prepared before the transaction takes the writer's one connection.
	full, err := s.activityStmt(ctx)
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
	full = tx.StmtContext(ctx, full)
	var spans []blockSpan
	args := make([]any, 0, sqliteChunk*len(activityCols))
	for start := 0; start < len(events); start += sqliteChunk {
		end := min(start+sqliteChunk, len(events))
		args = args[:0]
		for i := start; i < end; i++ {
			blk := (last + 1 + int64(i)) >> blockShift
			args = appendEventRow(args, &events[i], blk, eidSQLite)
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
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: activity commit: %w", err)
	}
	s.live.noteWritten(events)
	return nil
}

// activityStmt is SQLite's prepared statement for a full chunk of events
// on the writer's connection, prepared on first use.
func (s *Store) activityStmt(ctx context.Context) (*sql.Stmt, error) {
	s.insMu.Lock()
	defer s.insMu.Unlock()
	if s.insAct == nil {
		var err error
		if s.insAct, err = s.w.PrepareContext(ctx, sqliteInsertActivity+s.placeholders(sqliteChunk, len(activityCols))); err != nil {
			return nil, fmt.Errorf("store: activity: %w", err)
		}
	}
	return s.insAct, nil
}

// upsertBlocks widens the blocks' time ranges and counts (one row each,
// usually one or two a batch), in block order: concurrent batches on
// PostgreSQL then lock the rows they share in the same order.
func (s *Store) upsertBlocks(spans []blockSpan, exec func(q string, args ...any) error) error {
	least, greatest := "MIN", "MAX"
	if s.dialect == Postgres {
		least, greatest = "LEAST", "GREATEST"
	}
	for _, sp := range mergeSpans(spans) {
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

// pgBlock is an event's block on PostgreSQL: the hour since the epoch.
func pgBlock(at int64) int64 {
	if at < 0 {
		return 0
	}
	return at / hourMicro
}

func (s *Store) insertEventsPG(ctx context.Context, events []activity.Event) error {
	first, last := int64(1<<63-1), int64(-1<<63)
	for i := range events {
		day := dayOf(micro(events[i].Time))
		first, last = min(first, day), max(last, day)
	}
	if err := s.ensureDays(ctx, first, last); err != nil {
		return err
	}
	return withPgx(ctx, s.w, func(c *pgx.Conn) error {
		tx, err := c.Begin(ctx)
		if err != nil {
			return fmt.Errorf("store: activity: %w", err)
		}
		defer tx.Rollback(ctx)
		// A block an hour (schema.go, version 4).
		var spans []blockSpan
		i := 0
		row := make([]any, 0, len(activityCols))
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(events) {
				return nil, nil
			}
			at := micro(events[i].Time)
			blk := pgBlock(at)
			row = appendEventRow(row[:0], &events[i], blk, eidPG)
			spans = addToBlocks(spans, blk, at)
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
		// Last, just before the commit: concurrent batches update the
		// same block's row, and hold its lock until they commit.
		if err := s.upsertBlocks(spans, exec); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("store: activity commit: %w", err)
		}
		s.live.noteWritten(events)
		return nil
	})
}
