package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// sqlitePragmas follow PocketBase's core/db_connect.go: busy_timeout first
// (so nothing else fails with SQLITE_BUSY), WAL so readers never block the
// writer, foreign keys on, NORMAL sync (safe with WAL).
var sqlitePragmas = []string{
	"busy_timeout(10000)",
	"journal_mode(WAL)",
	"foreign_keys(ON)",
	"synchronous(NORMAL)",
	"temp_store(MEMORY)",
	"cache_size(-32000)",
	// Checkpoint every 20,000 pages (80 MB) rather than 1,000: the
	// activity writer's commits then rarely pay for one (measured: 50k to
	// 70k events/s), and the file shrinks back to 64 MB afterwards.
	"wal_autocheckpoint(20000)",
	"journal_size_limit(67108864)",
	// Reads through a memory map instead of a pread per page: searching
	// the activity log visits thousands of scattered pages.
	"mmap_size(4294967296)",
}

func sqliteDSN(path string, write bool) string {
	q := url.Values{}
	for _, p := range sqlitePragmas {
		q.Add("_pragma", p)
	}
	if write {
		// Take the write lock at BEGIN: another process (the CLI beside a
		// running serve) then waits on busy_timeout instead of failing
		// when a read lock cannot be upgraded.
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(ON)")
	}
	return "file:" + path + "?" + q.Encode()
}

func (s *Store) openSQLite(ctx context.Context, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	w, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		w.Close()
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	s.w, s.r = w, r
	return nil
}
