package cli

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
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
