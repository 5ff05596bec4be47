//go:build unix

package store

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDatabaseFilesPrivate: with a umask that takes nothing away and a
// world-writable data folder, the database and its -wal and -shm files
// are created 0600 (0640 in a setgid folder), and files found looser are
// tightened when the database is opened again.
func TestDatabaseFilesPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	// check looks at the database and, while it is open, its -wal and
	// -shm files (SQLite removes them on the last close).
	check := func(t *testing.T, want fs.FileMode, files ...string) {
		t.Helper()
		for _, p := range files {
			fi, err := os.Stat(p)
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(p), err)
				continue
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s: mode %o, want %o", filepath.Base(p), got, want)
			}
		}
	}
	open := func(t *testing.T, path string) {
		t.Helper()
		s, err := Open(context.Background(), Options{SQLitePath: path})
		if err != nil {
			t.Fatal(err)
		}
		// A write, so the WAL is in use.
		if err := s.Audit(context.Background(), Actor{Name: "test"}, "test.touch", "", nil, nil); err != nil {
			t.Fatal(err)
		}
		check(t, dbFileMode(filepath.Dir(path)), path, path+"-wal", path+"-shm")
		s.Close()
	}

	t.Run("plain folder", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		os.Chmod(dir, 0o777)
		path := filepath.Join(dir, "schoolgate.db")
		if got := dbFileMode(dir); got != 0o600 {
			t.Fatalf("mode for a plain folder %o", got)
		}
		open(t, path)
		check(t, 0o600, path)
		// An older version's (or a copy's) loose files are tightened:
		// the database, and an empty WAL and shared-memory file left
		// beside it.
		os.Chmod(path, 0o666)
		for _, p := range []string{path + "-wal", path + "-shm"} {
			if err := os.WriteFile(p, nil, 0o666); err != nil {
				t.Fatal(err)
			}
		}
		open(t, path)
		check(t, 0o600, path)
	})
	t.Run("setgid folder", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(dir, 0o770); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o770|fs.ModeSetgid); err != nil {
			t.Skipf("cannot make a setgid folder: %v", err)
		}
		if fi, _ := os.Stat(dir); fi.Mode()&fs.ModeSetgid == 0 {
			t.Skip("the file system dropped the setgid bit")
		}
		if got := dbFileMode(dir); got != 0o640 {
			t.Fatalf("mode for a setgid folder %o", got)
		}
		path := filepath.Join(dir, "schoolgate.db")
		open(t, path)
		check(t, 0o640, path)
	})
}
