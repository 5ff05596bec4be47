package store

import (
	"context"
	"database/sql"
	"time"
)

// checkpointEvery is how often the checkpointer copies the SQLite WAL
// back into the database.
const checkpointEvery = 500 * time.Millisecond

// runCheckpointer copies the WAL back into the database file on its own
// connection, off the write path: a PASSIVE checkpoint waits for no one
// and blocks no one, so the activity writer's commits never pay for one
// (measured: it was a fifth of the writer's time). It stops when ctx ends.
func runCheckpointer(ctx context.Context, db *sql.DB, done chan<- struct{}, log func(msg string, args ...any)) {
	defer close(done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	failed := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var busy, frames, copied int64
		err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && !failed:
			// Once: the writer's own autocheckpoint still bounds the WAL.
			log("store: background checkpoint failed", "err", err)
			failed = true
		case err == nil:
			failed = false
		}
	}
}
