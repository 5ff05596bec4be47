package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"1GiB": 1 << 30, "512 MiB": 512 << 20, "200MB": 200e6, "1048576": 1 << 20, "1.5KiB": 1536, "64B": 64} {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1GiB", "lots", "1XB", "1e30GB"} {
		if _, err := ParseByteSize(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestActivitySpoolMaxInPolicy(t *testing.T) {
	dir := t.TempDir()
	write := func(extra string) string {
		p := filepath.Join(dir, "policy.yaml")
		if err := os.WriteFile(p, []byte("categories: {}\ngroups:\n  pupils: {networks: [10.0.0.0/8]}\nrules: {}\n"+extra), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg, err := Load(write("activity:\n  spool_max: 2GiB\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Activity.SpoolMax != 2<<30 {
		t.Fatalf("spool_max %d", cfg.Activity.SpoolMax)
	}
	_, err = Load(write("activity:\n  spool_max: plenty\n"))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "spool_max") || !strings.Contains(err.Error(), ":6") {
		t.Fatalf("a bad spool_max: %v", err)
	}
}
