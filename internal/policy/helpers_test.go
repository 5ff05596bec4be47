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
	s, _, _ := compileGolden(tb, file)
	return s
}

// compileGolden compiles the policy part of a .policytest file (the clock
// at 2026-11-01) and returns its cases and the line number before them.
func compileGolden(tb testing.TB, file string) (s *Snapshot, cases string, base int) {
	tb.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	policyPart, cases, ok := strings.Cut(string(data), "\n----\n")
	if !ok {
		tb.Fatalf("%s: no ---- separator", file)
	}
	abs, _ := filepath.Abs(file)
	c, err := config.Parse(file, abs, []byte(policyPart))
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	s, err = Compile(c, Options{DataDir: tb.TempDir(), Now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		tb.Fatalf("compile: %v", err)
	}
	return s, cases, strings.Count(policyPart, "\n") + 2
}
