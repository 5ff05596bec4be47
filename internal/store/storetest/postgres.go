// Package storetest helps other packages' tests run against both back
// ends of the store.
package storetest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// PostgresDSN makes a fresh schema in the SCHOOLGATE_TEST_POSTGRES
// database, dropped when the test ends, and returns a DSN whose
// search_path is that schema. Without the variable the test is skipped,
// or fails under CI=true.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("SCHOOLGATE_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but SCHOOLGATE_TEST_POSTGRES is not set: the store must be tested on PostgreSQL")
		}
		t.Skip("SCHOOLGATE_TEST_POSTGRES not set: PostgreSQL tests skipped")
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		db.Close()
	})
	if strings.Contains(base, "://") {
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		return base + sep + "search_path=" + schema
	}
	return base + " search_path=" + schema
}
