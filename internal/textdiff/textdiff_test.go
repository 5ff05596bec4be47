package textdiff

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	a := "site:\n  name: Trust\ncategories:\n  video:\n    sources: []\n  games:\n    sources: []\nrules:\n  pupils: {video: block}\n  staff: {video: allow}\n"
	b := "site:\n  name: Trust\ncategories:\n  video:\n    sources: []\n  games:\n    sources: []\nrules:\n  pupils: {video: block, games: block}\n  staff: {video: allow}\n"
	got := Unified("v1", "v2", a, b)
	want := "--- v1\n+++ v2\n@@ -6,5 +6,5 @@\n   games:\n     sources: []\n rules:\n-  pupils: {video: block}\n+  pupils: {video: block, games: block}\n   staff: {video: allow}\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if Unified("a", "b", a, a) != "" {
		t.Fatal("equal texts have a diff")
	}
}

// TestUnifiedPatches checks the diff against the real patch(1): applied
// to the old text it must give the new one.
func TestUnifiedPatches(t *testing.T) {
	patch, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("patch(1) is not installed")
	}
	var a, b []string
	for i := range 200 {
		a = append(a, "line "+strings.Repeat("x", i%7))
		switch {
		case i%31 == 0:
			b = append(b, "inserted", a[i])
		case i%17 == 0:
		case i%23 == 0:
			b = append(b, "changed "+a[i])
		default:
			b = append(b, a[i])
		}
	}
	old, next := strings.Join(a, "\n")+"\n", strings.Join(b, "\n")+"\n"
	dir := t.TempDir()
	f := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(f, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(patch, "-s", f)
	cmd.Stdin = strings.NewReader(Unified("a", "b", old, next))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(f)
	if string(got) != next {
		t.Fatal("patched text differs from the new text")
	}
}
