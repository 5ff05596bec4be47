package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite"
)

// sqlitePragmas follow PocketBase's core/db_connect.go: busy_timeout first
// (so nothing else fails with SQLITE_BUSY), WAL so readers never block the
// writer, foreign keys on, NORMAL sync. NORMAL in WAL mode never corrupts
// the database; it does not fsync each commit, so a power cut (not a crash
// of the process) may lose the last transactions before a checkpoint.
var sqlitePragmas = []string{
	"busy_timeout(10000)",
	"journal_mode(WAL)",
	"foreign_keys(ON)",
	"synchronous(NORMAL)",
	"temp_store(MEMORY)",
	// A process without a checkpointer (a command line) checkpoints every
	// 20,000 pages (80 MB) rather than 1,000; the file shrinks back to 64
	// MB afterwards.
	"wal_autocheckpoint(20000)",
	"journal_size_limit(67108864)",
	// Reads through a memory map instead of a pread per page: searching
	// the activity log visits thousands of scattered pages.
	"mmap_size(4294967296)",
}

// sqliteRole is what a connection is for.
type sqliteRole int

const (
	sqliteReader sqliteRole = iota
	sqliteWriter
	sqliteCheckpointer
)

func sqliteDSN(path string, role sqliteRole) string {
	q := url.Values{}
	for _, p := range sqlitePragmas {
		q.Add("_pragma", p)
	}
	// Page caches are memory the filter process keeps: the writer only
	// appends (the newest pages of each index stay hot), readers go
	// through the memory map, so both keep small caches.
	cache := "cache_size(-2000)"
	if role == sqliteWriter {
		cache = "cache_size(-8000)"
	}
	q.Add("_pragma", cache)
	switch role {
	case sqliteWriter:
		// Take the write lock at BEGIN: another process (the CLI beside a
		// running serve) then waits on busy_timeout instead of failing
		// when a read lock cannot be upgraded.
		q.Set("_txlock", "immediate")
		// The checkpointer copies the WAL back off the write path; the
		// writer only does it itself if that falls far behind (200 MB).
		q.Add("_pragma", "wal_autocheckpoint(50000)")
	case sqliteReader:
		q.Add("_pragma", "query_only(ON)")
	}
	return "file:" + path + "?" + q.Encode()
}

// writerConnector opens the writer's connections through a driver of its
// own, which adds schoolgate_rhost (reverseHost, for the migration that
// fills the rhost column) without registering anything process-wide.
type writerConnector struct {
	d   *sqlite.Driver
	dsn string
}

func newWriterConnector(dsn string) (*writerConnector, error) {
	d := &sqlite.Driver{}
	err := d.RegisterDeterministicScalarFunction("schoolgate_rhost", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, _ := args[0].(string)
		return reverseHost(s), nil
	})
	if err != nil {
		return nil, err
	}
	return &writerConnector{d: d, dsn: dsn}, nil
}

// Connect implements driver.Connector.
func (c *writerConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.d.Open(c.dsn)
}

// Driver implements driver.Connector.
func (c *writerConnector) Driver() driver.Driver { return c.d }

func (s *Store) openSQLite(ctx context.Context, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := secureDBFiles(path); err != nil {
		return err
	}
	wc, err := newWriterConnector(sqliteDSN(path, sqliteWriter))
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	w := sql.OpenDB(wc)
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	// The -wal and -shm files exist now; SQLite made them with the
	// database's mode, but check.
	if err := secureDBFiles(path); err != nil {
		w.Close()
		return err
	}
	r, err := sql.Open("sqlite", sqliteDSN(path, sqliteReader))
	if err != nil {
		w.Close()
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(2)
	r.SetConnMaxIdleTime(time.Minute)
	c, err := sql.Open("sqlite", sqliteDSN(path, sqliteCheckpointer))
	if err != nil {
		w.Close()
		r.Close()
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	c.SetMaxOpenConns(1)
	c.SetMaxIdleConns(1)
	s.w, s.r, s.ckpt = w, r, c
	return nil
}
