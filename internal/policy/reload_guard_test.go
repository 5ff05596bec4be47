package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReloadIfShrinks: the watcher's check refuses a policy that removes a
// category or a rules row, halves the entries or loses dns.upstreams, and the running
// policy keeps blocking; a nil check (SIGHUP, reload --force) applies it;
// an empty file is refused by both.
func TestReloadIfShrinks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("g.txt", "bet365.com\npaddypower.com\nwilliamhill.com\nbetfair.com\nladbrokes.com\n")
	write("s.txt", "shop.example\n")
	write("few.txt", "bet365.com\n")
	write("empty.txt", "# nothing yet\n")
	const head = "dns: {upstreams: [\"127.0.0.1:53\"]}\n"
	const cats = "categories:\n  gambling: {sources: [{path: g.txt, format: domains}]}\n  shopping: {sources: [{path: s.txt, format: domains}]}\n"
	const rules = "rules:\n  gambling: {others: block}\n"
	full := head + cats + rules
	write("p.yaml", full)
	e, err := NewEngine(filepath.Join(dir, "p.yaml"), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	blocked := func() bool {
		d, _ := e.Decide(&Query{Host: "paddypower.com", At: time.Now()})
		return d.Verdict == Block
	}
	for _, tc := range []struct{ name, body, want string }{
		{"category removed", head + "categories:\n  gambling: {sources: [{path: g.txt, format: domains}]}\n" + rules, "removes the categories shopping"},
		{"entries halved", head + strings.Replace(cats, "g.txt", "few.txt", 1) + rules, "2 list entries, less than half of the 6"},
		{"upstreams lost", cats + rules, "no dns.upstreams"},
		{"cut before the rules", head + cats, "removes the rules rows gambling"},
		{"a list emptied", head + strings.Replace(cats, "s.txt", "empty.txt", 1) + rules, "its lists for shopping are empty"},
	} {
		write("p.yaml", tc.body)
		old := e.Snapshot()
		_, err := e.ReloadIf(Shrinks)
		if !errors.Is(err, ErrReloadRefused) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ReloadIf(Shrinks) = %v, want refused: %s", tc.name, err, tc.want)
		}
		if e.Snapshot() != old || !blocked() {
			t.Errorf("%s: the refused policy replaced the running one", tc.name)
		}
	}
	for _, body := range []string{"", "# all commented out\n"} {
		write("p.yaml", body)
		for _, check := range []func(old, next *Snapshot) error{Shrinks, nil} {
			if _, err := e.ReloadIf(check); !errors.Is(err, ErrInvalid) || !blocked() {
				t.Errorf("empty policy %q: %v", body, err)
			}
		}
	}
	// Growing, or an edit that keeps everything, passes the check.
	write("g.txt", "bet365.com\npaddypower.com\nwilliamhill.com\nbetfair.com\nladbrokes.com\nnew.example\n")
	write("p.yaml", full)
	if _, err := e.ReloadIf(Shrinks); err != nil {
		t.Fatalf("a grown list: %v", err)
	}
	// On purpose (no check), a smaller policy applies.
	write("p.yaml", head+"categories:\n  gambling: {sources: [{path: few.txt, format: domains}]}\n"+rules)
	if _, err := e.ReloadIf(nil); err != nil {
		t.Fatal(err)
	}
	if blocked() || e.Snapshot().Entries() != 1 {
		t.Errorf("forced reload not applied: %d entries", e.Snapshot().Entries())
	}
}
