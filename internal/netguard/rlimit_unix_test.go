//go:build unix

package netguard

import (
	"syscall"
	"testing"
)

// TestRaiseFileLimit lowers this process's soft open-file limit, and
// RaiseFileLimit brings it back up to the hard one.
func TestRaiseFileLimit(t *testing.T) {
	var was syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &was); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &was) })
	if was.Max < 512 {
		t.Skipf("hard open-file limit %d is below this test's 512", was.Max)
	}
	low := syscall.Rlimit{Cur: 256, Max: was.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	if got, err := FileLimit(); err != nil || got != 256 {
		t.Fatalf("FileLimit = %d, %v; want 256", got, err)
	}
	soft, hard, err := RaiseFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	if soft != uint64(was.Max) || hard != uint64(was.Max) {
		t.Fatalf("RaiseFileLimit = %d, %d; want both %d", soft, hard, was.Max)
	}
	if got, _ := FileLimit(); got != uint64(was.Max) {
		t.Fatalf("FileLimit after raising = %d, want %d", got, was.Max)
	}
}
