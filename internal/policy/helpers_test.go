package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
)

// loadGolden compiles the policy part of a .policytest file.
func loadGolden(tb testing.TB, file string) *Snapshot {
	tb.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	p, _, _ := strings.Cut(string(data), "\n----\n")
	abs, _ := filepath.Abs(file)
	c, err := config.Parse(file, abs, []byte(p))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := Compile(c, Options{DataDir: tb.TempDir(), Now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
