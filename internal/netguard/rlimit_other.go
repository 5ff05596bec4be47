//go:build !unix

package netguard

// fallbackFileLimit stands for the open-file limit where the system has no
// RLIMIT_NOFILE.
const fallbackFileLimit = 8192

// FileLimit is a fixed stand-in where there is no RLIMIT_NOFILE.
func FileLimit() (uint64, error) { return fallbackFileLimit, nil }

// RaiseFileLimit has nothing to raise here.
func RaiseFileLimit() (soft, hard uint64, err error) {
	return fallbackFileLimit, fallbackFileLimit, nil
}
