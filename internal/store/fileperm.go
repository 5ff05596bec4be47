package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The SQLite database holds who visited what: its files are never readable
// by other users of the machine, whatever the umask or the folder's mode.
// They are 0600, or 0640 when the data folder is setgid (chmod g+s): the
// deliberate way to share a folder with a group (a backup operator), whose
// new files then belong to that group. SQLite creates the -wal and -shm
// files with the database file's own mode, so creating the database file
// first, with that mode, covers them; files left looser by an older
// version or a copy are tightened each time the database is opened.

// dbFileMode is the mode for database files in dir.
func dbFileMode(dir string) fs.FileMode {
	fi, err := os.Stat(dir)
	if err == nil && fi.Mode()&fs.ModeSetgid != 0 {
		return 0o640
	}
	return 0o600
}

// dbFiles are the database and the files SQLite keeps beside it.
func dbFiles(path string) []string {
	return []string{path, path + "-wal", path + "-shm", path + "-journal"}
}

// secureDBFiles creates the database file with the folder's mode if it is
// missing, and takes away any permission beyond that mode from it and
// its companions.
func secureDBFiles(path string) error {
	mode := dbFileMode(filepath.Dir(path))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, mode)
	switch {
	case err == nil:
		f.Close()
	case !errors.Is(err, fs.ErrExist):
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	for _, p := range dbFiles(path) {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		// Tighten only: the umask may have taken bits from a new file,
		// and an operator may have made one stricter still.
		if perm := fi.Mode().Perm(); perm&^mode != 0 {
			if err := os.Chmod(p, perm&mode); err != nil {
				return fmt.Errorf("store: restrict %s to %o: %w", p, perm&mode, err)
			}
		}
	}
	return nil
}
