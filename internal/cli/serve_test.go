package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/policy"
)

// TestFileStampSeesUT1Files: rewriting a UT1 folder's domains file in
// place (the folder's own time unchanged) still changes the stamp that
// triggers a reload, as editing a plain list file does.
func TestFileStampSeesUT1Files(t *testing.T) {
	y := strings.Replace(issuePolicy, "sources: [{path: lists/gambling.txt, format: domains}]", "sources: [{path: lists/ut1gambling, format: ut1}]", 1)
	p := writePolicy(t, y, map[string]string{
		"lists/ut1gambling/domains": "bet365.com\n", "lists/social.txt": "facebook.com\n", "lists/iwf.txt": "secret.example\n",
	})
	e, err := policy.NewEngine(p, policy.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	d := &serveDeps{configPath: p, engine: e}
	before := d.fileStamp()
	dir := filepath.Join(filepath.Dir(p), "lists", "ut1gambling")
	dirInfo, _ := os.Stat(dir)
	for _, f := range []string{filepath.Join(dir, "domains"), filepath.Join(filepath.Dir(p), "lists", "social.txt")} {
		if err := os.WriteFile(f, []byte("bet365.com\nwilliamhill.com\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-time.Hour)
		os.Chtimes(dir, old, dirInfo.ModTime()) // the folder itself looks untouched
		after := d.fileStamp()
		if after == before {
			t.Errorf("editing %s left the stamp unchanged: %s", f, after)
		}
		before = after
	}
}
