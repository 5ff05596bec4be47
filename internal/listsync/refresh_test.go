package listsync

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"schoolgate/internal/logtest"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/policy"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRefresher: a missing copy is downloaded at once, then checked every
// interval with a conditional request (a 304 leaves it alone); a failure
// streak is logged once and retried; a changed list replaces the copy.
func TestRefresher(t *testing.T) {
	o := newOrigin(t, "casino.example\npoker.example\n")
	dir := t.TempDir()
	pf := filepath.Join(dir, "policy.yaml")
	text := "categories:\n  gambling:\n    sources: [{url: \"" + o.URL + "/g\", format: domains}]\ndefault: allow\n"
	if err := os.WriteFile(pf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data") // the list cache does not exist yet
	e, err := policy.NewEngine(pf, policy.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	copyFile := policy.CachePath(filepath.Join(data, "lists"), o.URL+"/g")
	var logBuf logtest.Buffer
	r := &Refresher{
		Updater:  &Updater{},
		Snapshot: e.Snapshot,
		Interval: 150 * time.Millisecond,
		Log:      slog.New(slog.NewTextHandler(&logBuf, nil)),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	waitFor(t, "the first download", func() bool { return ReadCopy(copyFile).Exists })
	if got := readFile(t, copyFile); got != "casino.example\npoker.example\n" {
		t.Fatalf("copy: %q", got)
	}
	ino := inode(t, copyFile)
	waitFor(t, "a conditional check", func() bool { return o.count() >= 3 })
	if h := o.last().Header; h.Get("If-None-Match") == "" {
		t.Errorf("refresh not conditional: %v", h)
	}
	if inode(t, copyFile) != ino {
		t.Errorf("a 304 replaced the copy")
	}

	o.fail(http.StatusServiceUnavailable)
	n := o.count()
	waitFor(t, "three failed tries", func() bool { return o.count() >= n+3 })
	if c := strings.Count(logBuf.String(), "list download failed"); c != 1 {
		t.Errorf("a failure streak logged %d times:\n%s", c, logBuf.String())
	}
	if !strings.Contains(logBuf.String(), "level=WARN msg=\"list download failed; keeping the last good copy\" category=gambling url="+o.URL+"/g copy_entries=2") {
		t.Errorf("failure log:\n%s", logBuf.String())
	}

	o.set("casino.example\npoker.example\nroulette.example\n")
	o.fail(0)
	waitFor(t, "the changed list", func() bool { return ReadCopy(copyFile).Entries == 3 })
	if got := readFile(t, copyFile); !strings.Contains(got, "roulette.example") {
		t.Errorf("copy after change: %q", got)
	}
	waitFor(t, "the recovery log", func() bool { return strings.Contains(logBuf.String(), "list download works again") })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

// TestRefresherOff: with lists.refresh off nothing is downloaded, not even
// a missing copy, until a reload turns it on (Wake).
func TestRefresherOff(t *testing.T) {
	o := newOrigin(t, "casino.example\n")
	dir := t.TempDir()
	pf := filepath.Join(dir, "policy.yaml")
	write := func(refresh string) {
		text := "categories:\n  gambling:\n    sources: [{url: \"" + o.URL + "/g\", format: domains}]\ndefault: allow\nlists: {refresh: " + refresh + "}\n"
		if err := os.WriteFile(pf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("off")
	e, err := policy.NewEngine(pf, policy.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	r := &Refresher{Updater: &Updater{}, Snapshot: e.Snapshot}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	time.Sleep(200 * time.Millisecond)
	if o.count() != 0 {
		t.Fatalf("refresh off, yet %d downloads", o.count())
	}
	write("1h")
	if _, err := e.Reload(); err != nil {
		t.Fatal(err)
	}
	r.Wake()
	waitFor(t, "the download after the reload", func() bool { return ReadCopy(policy.CachePath(filepath.Join(dir, "lists"), o.URL+"/g")).Exists })
	if o.count() != 1 {
		t.Errorf("%d downloads, want 1", o.count())
	}
}
