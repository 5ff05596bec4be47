package store

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"schoolgate/internal/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// backends runs f against SQLite in a temporary directory and, when
// SCHOOLGATE_TEST_POSTGRES is set, against PostgreSQL in a fresh schema
// that is dropped afterwards. With CI=true a missing PostgreSQL fails.
func backends(t *testing.T, f func(t *testing.T, open func(now func() time.Time) *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "schoolgate.db")
		f(t, func(now func() time.Time) *Store { return openTest(t, Options{SQLitePath: path, Now: now}) })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := PostgresTestDSN(t)
		f(t, func(now func() time.Time) *Store { return openTest(t, Options{PostgresDSN: dsn, Now: now}) })
	})
}

func openTest(t *testing.T, opt Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// PostgresTestDSN makes a fresh schema in the SCHOOLGATE_TEST_POSTGRES
// database and returns a DSN whose search_path is that schema.
func PostgresTestDSN(t testing.TB) string {
	t.Helper()
	return storetest.PostgresDSN(t)
}
