package cli

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportSubject: the dsl logs a request, reviews the list, withholds
// an item and releases the ZIP; anyone else is refused with exit 2.
func TestExportSubject(t *testing.T) {
	p := writePolicy(t, issuePolicy, issueLists)
	data := t.TempDir()
	csv := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(csv, []byte("username,display_name,role,date_of_birth\nann,Ann Pupil,pupil,2015-04-02\nbea,Bea Friend,pupil,\nsam,Sam Head,dsl\nted,Ted Tech,technical\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run(t, "", "users", "import", csv, "-c", p, "--data", data, "--by", "admin"); code != 0 {
		t.Fatalf("import: %d %s", code, errs)
	}
	if code, _, errs := run(t, "", "export", "subject", "ann", "-c", p, "--data", data, "--by", "ted"); code != 2 || !strings.Contains(errs, "dsl") {
		t.Fatalf("technical exports: %d %s", code, errs)
	}
	code, out, errs := run(t, "", "export", "subject", "ann", "-c", p, "--data", data, "--by", "sam", "--received", "2026-11-20")
	if code != 0 || !strings.Contains(out, "due 2026-12-20") || !strings.Contains(out, "activity") || !strings.Contains(out, "--request 1") {
		t.Fatalf("review: %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := run(t, "", "export", "subject", "ann", "-c", p, "--data", data, "--by", "sam", "--request", "1", "--withhold", "activity=because:x"); code != 2 || !strings.Contains(errs, "exemption") {
		t.Fatalf("bad exemption: %d %s", code, errs)
	}
	zipPath := filepath.Join(t.TempDir(), "ann.zip")
	code, out, errs = run(t, "", "export", "subject", "ann", "-c", p, "--data", data, "--by", "sam", "--request", "1",
		"--withhold", "activity=third-party:shared device", "--out", zipPath)
	if code != 0 || !strings.Contains(out, "withheld activity") || !strings.Contains(out, "(1 withheld)") {
		t.Fatalf("release: %d\n%s\n%s", code, out, errs)
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 2 || zr.File[0].Name != "export.json" || zr.File[1].Name != "index.html" {
		t.Fatalf("zip files %v", zr.File)
	}
	if fi, _ := os.Stat(zipPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("zip mode %v", fi.Mode())
	}
	if code, _, errs := run(t, "", "export", "subject", "ann", "-c", p, "--data", data, "--by", "sam", "--request", "1", "--out", zipPath+"2"); code != 2 || !strings.Contains(errs, "released") {
		t.Fatalf("second release: %d %s", code, errs)
	}
}
