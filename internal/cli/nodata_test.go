package cli

import (
	"os"
	"strings"
	"testing"
)

// TestNoDataDirectory: where no data directory is named and
// ./schoolgate-data does not exist, every command that reads the database
// stops with exit 2 and says what to pass, and none creates a database;
// validate, check --group|--client and ca export need no data directory.
func TestNoDataDirectory(t *testing.T) {
	p := writePolicy(t, issuePolicy, issueLists)
	t.Chdir(t.TempDir())
	t.Setenv("SCHOOLGATE_DATA", "")
	t.Setenv("SCHOOLGATE_POSTGRES", "")
	for _, args := range [][]string{
		{"users", "list", "-c", p},
		{"users", "add", "amy", "-c", p},
		{"grant", "list", "-c", p},
		{"requests", "list", "-c", p},
		{"audit", "verify", "-c", p},
		{"activity", "search", "-c", p},
		{"aua", "status", "-c", p},
		{"users", "list"},            // no -c either
		{"lists", "update", "-c", p}, // its cache is DATA/lists
	} {
		code, out, errs := run(t, "", args...)
		if code != 2 || !strings.Contains(errs, "no data directory") || !strings.Contains(errs, "--data DIR") ||
			!strings.Contains(errs, "SCHOOLGATE_DATA") || !strings.Contains(errs, "schoolgate init") {
			t.Errorf("%v: exit %d, want 2 and what to pass:\n%s%s", args, code, out, errs)
		}
	}
	if code, out, errs := run(t, "", "validate", "-c", p); code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("validate: %d %s %s", code, out, errs)
	}
	for _, who := range [][]string{{"--group", "staff"}, {"--client", "10.20.0.1"}} {
		args := append([]string{"check", "-c", p}, append(who, "bet365.com")...)
		if code, out, errs := run(t, "", args...); code != 0 || !strings.Contains(out, `"verdict":"block"`) {
			t.Errorf("%v: %d %s %s", args, code, out, errs)
		}
	}
	if code, _, errs := run(t, "", "ca", "export"); code != 1 || !strings.Contains(errs, "ca") {
		t.Errorf("ca export without a CA: %d %s", code, errs)
	}
	if _, err := os.Stat(defaultData); err == nil {
		t.Fatalf("a command created %s", defaultData)
	}
	// Named, it is used (and made) as before.
	data := t.TempDir() + "/data"
	if code, _, errs := run(t, "", "users", "list", "-c", p, "--data", data); code != 0 {
		t.Errorf("users list --data: %d %s", code, errs)
	}
	t.Setenv("SCHOOLGATE_DATA", data)
	if code, _, errs := run(t, "", "grant", "list", "-c", p); code != 0 {
		t.Errorf("grant list with SCHOOLGATE_DATA: %d %s", code, errs)
	}
}
