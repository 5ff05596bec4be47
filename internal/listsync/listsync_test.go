package listsync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// origin is a list server on loopback that answers conditional requests
// as a real one (GitHub, a CDN) does.
type origin struct {
	*httptest.Server
	mu       sync.Mutex
	body     string
	etag     string
	modified time.Time
	status   int // when not 0, answer this status instead
	version  int
	requests []*http.Request
}

func newOrigin(t *testing.T, body string) *origin {
	t.Helper()
	o := &origin{}
	o.set(body)
	o.Server = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.Close)
	return o
}

// set publishes a new version of the list.
func (o *origin) set(body string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.version++
	o.body = body
	o.etag = fmt.Sprintf("\"v%d\"", o.version)
	o.modified = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(o.version) * time.Hour)
}

func (o *origin) fail(status int) {
	o.mu.Lock()
	o.status = status
	o.mu.Unlock()
}

func (o *origin) serve(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests = append(o.requests, r)
	if o.status != 0 {
		http.Error(w, "unavailable", o.status)
		return
	}
	w.Header().Set("ETag", o.etag)
	w.Header().Set("Last-Modified", o.modified.Format(http.TimeFormat))
	if r.Header.Get("If-None-Match") == o.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	fmt.Fprint(w, o.body)
}

func (o *origin) last() *http.Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.requests[len(o.requests)-1]
}

func (o *origin) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.requests)
}

func inode(t *testing.T, f string) uint64 {
	t.Helper()
	fi, err := os.Stat(f)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

func readFile(t *testing.T, f string) string {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFetchConditional: the first download records the server's ETag and
// Last-Modified; the next asks conditionally and a 304 leaves the copy
// (the very file the reload watcher looks at) untouched but counts as a
// check; changed content replaces the copy by rename.
func TestFetchConditional(t *testing.T) {
	o := newOrigin(t, "casino.example\npoker.example\n")
	dest := filepath.Join(t.TempDir(), "g.list")
	clock := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	u := &Updater{Now: func() time.Time { return clock }}

	r := u.Fetch(context.Background(), o.URL, "domains", dest)
	if r.Err != nil || !r.Changed || r.Entries != 2 || r.NotModified {
		t.Fatalf("first download: %+v", r)
	}
	if h := o.last().Header; h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != "" {
		t.Errorf("first download was conditional: %v", h)
	}
	c := ReadCopy(dest)
	if !c.Exists || !c.Checked.Equal(clock) || c.Entries != 2 || c.meta.ETag != o.etag {
		t.Fatalf("record after first download: %+v", c)
	}
	before, _ := os.Stat(dest)
	ino := inode(t, dest)

	clock = clock.Add(24 * time.Hour)
	r = u.Fetch(context.Background(), o.URL, "domains", dest)
	if r.Err != nil || r.Changed || !r.NotModified || r.Entries != 2 {
		t.Fatalf("refresh: %+v", r)
	}
	h := o.last().Header
	if h.Get("If-None-Match") != o.etag || h.Get("If-Modified-Since") != o.modified.Format(http.TimeFormat) {
		t.Errorf("refresh not conditional: %v", h)
	}
	after, _ := os.Stat(dest)
	if !after.ModTime().Equal(before.ModTime()) || inode(t, dest) != ino {
		t.Errorf("a 304 rewrote the copy")
	}
	if c := ReadCopy(dest); !c.Checked.Equal(clock) {
		t.Errorf("a 304 did not count as a check: %v, want %v", c.Checked, clock)
	}

	o.set("casino.example\npoker.example\nroulette.example\n")
	r = u.Fetch(context.Background(), o.URL, "domains", dest)
	if r.Err != nil || !r.Changed || r.Entries != 3 {
		t.Fatalf("changed list: %+v", r)
	}
	if got := readFile(t, dest); got != "casino.example\npoker.example\nroulette.example\n" {
		t.Errorf("copy after change: %q", got)
	}
	if inode(t, dest) == ino {
		t.Errorf("the copy was rewritten in place, not replaced by rename")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".download-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if fi, _ := os.Stat(dest); fi.Mode().Perm() != 0o600 {
		t.Errorf("copy mode %v, want 0600 (an illegal-content list is confidential)", fi.Mode().Perm())
	}
}

// TestFetchKeepsGoodCopy: a failed, empty, unparsable or far smaller
// download never replaces the copy; Force accepts a smaller one.
func TestFetchKeepsGoodCopy(t *testing.T) {
	good := "a.example\nb.example\nc.example\nd.example\n"
	o := newOrigin(t, good)
	dest := filepath.Join(t.TempDir(), "g.list")
	u := &Updater{}
	if r := u.Fetch(context.Background(), o.URL, "domains", dest); r.Err != nil {
		t.Fatal(r.Err)
	}
	cases := []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"server error", http.StatusBadGateway, "", nil},
		{"empty", 0, "", ErrEmpty},
		{"comments only", 0, "# nothing today\n", ErrEmpty},
		{"not a list", 0, "<html>sign in</html>\n", ErrEmpty},
		{"halved", 0, "a.example\n", ErrShrunk},
	}
	for _, tc := range cases {
		o.fail(tc.status)
		o.set(tc.body)
		r := u.Fetch(context.Background(), o.URL, "domains", dest)
		if r.Err == nil || (tc.want != nil && !errors.Is(r.Err, tc.want)) {
			t.Errorf("%s: err %v, want %v", tc.name, r.Err, tc.want)
		}
		if !r.Kept || r.Entries != 4 || r.Changed {
			t.Errorf("%s: %+v, want the 4-entry copy kept", tc.name, r)
		}
		if got := readFile(t, dest); got != good {
			t.Errorf("%s: copy replaced by %q", tc.name, got)
		}
	}
	o.fail(0)
	o.set("a.example\n")
	u.Force = true
	if r := u.Fetch(context.Background(), o.URL, "domains", dest); r.Err != nil || !r.Changed || r.Entries != 1 {
		t.Errorf("forced: %+v", r)
	}
}

// TestFetchNoCopy: a failure with nothing cached keeps nothing, and says so.
func TestFetchNoCopy(t *testing.T) {
	o := newOrigin(t, "")
	o.fail(http.StatusNotFound)
	dest := filepath.Join(t.TempDir(), "g.list")
	r := (&Updater{}).Fetch(context.Background(), o.URL, "domains", dest)
	if r.Err == nil || r.Kept || r.Entries != 0 {
		t.Fatalf("%+v", r)
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a copy appeared: %v", err)
	}
}

// TestFetchOldCopyWithoutRecord: a copy made before records were kept is
// counted from the file, so a halved download cannot replace it either,
// and its age is its file's.
func TestFetchOldCopyWithoutRecord(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "g.list")
	if err := os.WriteFile(dest, []byte("a.example\nb.example\nc.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-10 * 24 * time.Hour).Truncate(time.Second)
	os.Chtimes(dest, old, old)
	if c := ReadCopy(dest); !c.Exists || !c.Checked.Equal(old) {
		t.Errorf("age of an unrecorded copy: %+v", c)
	}
	o := newOrigin(t, "a.example\n")
	r := (&Updater{}).Fetch(context.Background(), o.URL, "domains", dest)
	if !errors.Is(r.Err, ErrShrunk) || !r.Kept || r.Entries != 3 {
		t.Errorf("%+v", r)
	}
	if h := o.last().Header; h.Get("If-None-Match") != "" {
		t.Errorf("conditional request without a record: %v", h)
	}
}

// TestUpdate: every url: source once per URL (two categories may share
// one), a ut1 url refused, a second run answered 304, and the error names
// how many failed.
func TestUpdate(t *testing.T) {
	o := newOrigin(t, "a.example\nb.example\n")
	text := `categories:
  gambling: {sources: [{url: "` + o.URL + `/a", format: domains}, {path: local.txt, format: domains}]}
  betting: {sources: [{url: "` + o.URL + `/a", format: domains}]}
  folder: {sources: [{url: "` + o.URL + `/ut1", format: ut1}]}
default: allow
`
	c, err := config.Parse("policy.yaml", "/school/policy.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	u := &Updater{CacheDir: filepath.Join(t.TempDir(), "cache")}
	res, err := u.Update(context.Background(), c)
	if err == nil || err.Error() != "1 of 3 list downloads failed" {
		t.Errorf("err %v", err)
	}
	if len(res) != 3 || o.count() != 1 {
		t.Fatalf("%d results, %d requests: %+v", len(res), o.count(), res)
	}
	for _, r := range res[:2] {
		if r.Err != nil || !r.Changed || r.Entries != 2 || r.File != policy.CachePath(u.CacheDir, o.URL+"/a") {
			t.Errorf("%+v", r)
		}
	}
	if r := res[2]; r.Err == nil || !strings.Contains(r.Err.Error(), "format ut1 is a folder") || r.Kept {
		t.Errorf("ut1: %+v", r)
	}
	res, _ = u.Update(context.Background(), c)
	if !res[0].NotModified || res[0].Changed || res[0].Entries != 2 || o.count() != 2 {
		t.Errorf("second run: %+v (%d requests)", res[0], o.count())
	}
}
