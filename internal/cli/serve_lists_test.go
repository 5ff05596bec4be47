package cli

import (
	"bytes"
	"context"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"schoolgate/internal/listsync"
	"schoolgate/internal/policy"
)

// TestListReporter: serve's list problems are logged at ERROR, one line
// per category, again after every reload, and between reloads only when
// new: a copy that grows stale is reported once, when it does.
func TestListReporter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "casino.example")
	}))
	defer srv.Close()
	y := strings.Replace(issuePolicy, "sources: [{path: lists/gambling.txt, format: domains}]", "sources: [{url: \""+srv.URL+"/g.txt\", format: domains}]", 1)
	p := writePolicy(t, y, map[string]string{"lists/social.txt": "", "lists/iwf.txt": "secret.example\n"})
	data := t.TempDir()
	clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	u := &listsync.Updater{Now: func() time.Time { return clock }}
	if r := u.Fetch(context.Background(), srv.URL+"/g.txt", "domains", policy.CachePath(filepath.Join(data, "lists"), srv.URL+"/g.txt")); r.Err != nil {
		t.Fatal(r.Err)
	}
	e, err := policy.NewEngine(p, policy.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rep := &listReporter{log: slog.New(slog.NewTextHandler(&buf, nil)), now: func() time.Time { return clock }}
	lines := func() []string {
		defer buf.Reset()
		return strings.Split(strings.TrimSpace(buf.String()), "\n")
	}

	rep.report(e.Snapshot(), true)
	got := lines()
	want := `level=ERROR msg="list category filters less than the policy says" category=social-media line=5 entries=0 problem="no entries: it filters nothing; lists/social.txt (line 6) has 0 entries"`
	if len(got) != 1 || !strings.Contains(got[0], want) {
		t.Fatalf("at start:\n%s\nwant %s", strings.Join(got, "\n"), want)
	}
	clock = clock.Add(6 * 24 * time.Hour)
	if rep.report(e.Snapshot(), false); buf.Len() != 0 {
		t.Errorf("an hour later, nothing new, yet:\n%s", buf.String())
	}
	clock = clock.Add(2 * 24 * time.Hour)
	rep.report(e.Snapshot(), false)
	got = lines()
	want = `category=gambling line=3 entries=1 problem="` + srv.URL + `/g.txt (line 4) was last checked 8d ago, more than lists.max_age (7d)"`
	if len(got) != 1 || !strings.Contains(got[0], want) {
		t.Errorf("grown stale:\n%s\nwant %s", strings.Join(got, "\n"), want)
	}
	if rep.report(e.Snapshot(), false); buf.Len() != 0 {
		t.Errorf("reported twice:\n%s", buf.String())
	}
	rep.report(e.Snapshot(), true) // a reload says it all again
	if got = lines(); len(got) != 2 {
		t.Errorf("after a reload: %q", got)
	}
}

// TestRefreshReloads: a list that changes at its origin is downloaded on
// the next refresh, replaces the copy, and the reload watcher puts it in
// force; a refresh that finds it unchanged (304) reloads nothing.
func TestRefreshReloads(t *testing.T) {
	var body atomic.Value
	body.Store("casino.example\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := body.Load().(string)
		etag := fmt.Sprintf(`"%d"`, len(b))
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, b)
	}))
	defer srv.Close()
	y := strings.Replace(issuePolicy, "sources: [{path: lists/gambling.txt, format: domains}]", "sources: [{url: \""+srv.URL+"/g.txt\", format: domains}]", 1)
	p := writePolicy(t, y, issueLists)
	e, err := policy.NewEngine(p, policy.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var reloads atomic.Int32
	e.OnReload(func(*policy.Snapshot) { reloads.Add(1) })
	d := &serveDeps{configPath: p, engine: e, log: slog.New(slog.DiscardHandler), registry: prometheus.NewRegistry()}
	rl, err := newReloads(d) // as runServe makes it: before the refresher can write
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	r := &listsync.Refresher{Updater: &listsync.Updater{}, Snapshot: e.Snapshot, Interval: 300 * time.Millisecond}
	wg.Add(2)
	go func() { defer wg.Done(); rl.watch(ctx) }()
	go func() { defer wg.Done(); r.Run(ctx) }()

	gambling := func() int {
		for _, cs := range listsync.Status(e.Snapshot(), time.Now()) {
			if cs.Name == "gambling" {
				return cs.Entries
			}
		}
		return -1
	}
	waitUntil(t, "the first download in force", func() bool { return gambling() == 1 })
	time.Sleep(3 * time.Second) // several 304s and a watcher pass
	if n := reloads.Load(); n != 1 {
		t.Errorf("%d reloads with the list unchanged, want 1", n)
	}
	body.Store("casino.example\npoker.example\n")
	waitUntil(t, "the changed list in force", func() bool { return gambling() == 2 })
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
