package report_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needTool finds a command the test drives; without it the test is
// skipped, or fails under CI=true (scripts/test.sh installs it).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %s is missing (Debian: poppler-utils)", name)
		}
		t.Skipf("%s not installed (Debian: poppler-utils)", name)
	}
	return p
}

// TestGovernorsReportPDF renders the fixture's report as a PDF, reads
// its text back with pdftotext and its pages with pdftoppm: the figures
// are there, no fixture name is, and no page is blank.
func TestGovernorsReportPDF(t *testing.T) {
	pdftotext, pdftoppm := needTool(t, "pdftotext"), needTool(t, "pdftoppm")
	f := newFixture(t, "sqlite", nil)
	rep, err := f.rep.Governors(context.Background(), governor, f.period)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.WritePDF(&buf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("SCHOOLGATE_REPORT_PDF"); out != "" { // to look at it
		os.WriteFile(out, buf.Bytes(), 0o644)
	}
	out, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	for _, want := range []string{"Governors' report", "Fixture Primary and Secondary", "Autumn term 2026", "fewer than 5", "withheld",
		"Key stage 3 (years 7–9)", "Games", "Used in computing lessons", "not recorded in Schoolgate yet", "Page 1 of"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	lower := strings.ToLower(text)
	for _, name := range f.seeded.Names {
		if strings.Contains(lower, strings.ToLower(name)) {
			t.Errorf("the PDF names %q", name)
		}
	}
	if out, err := exec.Command(pdftoppm, "-png", "-r", "50", file, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(pages) < 2 {
		t.Fatalf("%d pages rendered, want the report over 2 or more", len(pages))
	}
	for _, p := range pages {
		if ink := inked(t, p); ink < 0.01 {
			t.Errorf("%s: %.3f of its pixels are not white: blank", filepath.Base(p), ink)
		}
	}
}

// inked is the share of a PNG's pixels that are not near white.
func inked(t *testing.T, file string) float64 {
	t.Helper()
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	return inkShare(img)
}

func inkShare(img image.Image) float64 {
	b := img.Bounds()
	var ink, all int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			all++
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				ink++
			}
		}
	}
	return float64(ink) / float64(all)
}
