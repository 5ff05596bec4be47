//go:build unix

package netguard

import (
	"fmt"
	"syscall"
)

// FileLimit is the process's soft limit on open files (RLIMIT_NOFILE).
func FileLimit() (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, fmt.Errorf("open-file limit: %w", err)
	}
	return uint64(r.Cur), nil
}

// RaiseFileLimit raises the soft open-file limit to the hard one and
// returns both as they then stand. (Go's runtime does this at start on
// Linux too; serve does it itself so that the limit it logs, and derives
// its connection caps from, is the one in force wherever it runs.)
func RaiseFileLimit() (soft, hard uint64, err error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, 0, fmt.Errorf("open-file limit: %w", err)
	}
	if r.Cur < r.Max {
		want := r
		want.Cur = r.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			return uint64(r.Cur), uint64(r.Max), fmt.Errorf("raising the open-file limit to %d: %w", r.Max, err)
		}
		r = want
	}
	return uint64(r.Cur), uint64(r.Max), nil
}
