// Package listsync downloads the url: sources of a policy into the list
// cache, keeps them fresh, and reports categories that filter nothing. A
// copy is replaced only when the new one downloaded and parsed whole and
// is not far smaller; on any failure the last good copy stays.
package listsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/policy/lists"
)

// MaxListBytes bounds one download.
const MaxListBytes = 512 << 20

var (
	// ErrTooLarge is returned for a download over MaxListBytes.
	ErrTooLarge = errors.New("list larger than 512 MiB")
	// ErrEmpty is returned for a download with no entries: it would
	// filter nothing, so it never replaces anything.
	ErrEmpty = errors.New("download has no entries")
	// ErrShrunk is returned for a download with fewer than half the
	// entries of the copy it would replace (a truncated or broken
	// publication, most likely); Updater.Force accepts it.
	ErrShrunk = errors.New("download has fewer than half the entries of the copy it would replace")
)

// Updater downloads list sources.
type Updater struct {
	CacheDir string
	Client   *http.Client
	// Progress, if set, receives a progress line per source.
	Progress io.Writer
	// Force accepts a download that ErrShrunk would refuse.
	Force bool
	Now   func() time.Time
}

// Result is what happened to one source.
type Result struct {
	Category string
	URL      string
	File     string
	Entries  int // in the copy now in force
	Changed  bool
	// NotModified: the server answered 304 to a conditional request.
	NotModified bool
	Err         error
	// Kept: after a failure, a previous copy (with Entries entries)
	// stays in force. Without it the source adds nothing to Category.
	Kept bool

	format string // the source's list format
}

// Update downloads every url: source of c (each URL once). It returns
// one result per source and an error when any failed.
func (u *Updater) Update(ctx context.Context, c *config.Config) ([]Result, error) {
	if err := os.MkdirAll(u.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("list cache: %w", err)
	}
	var todo []Result
	for _, cat := range c.Categories {
		for _, s := range cat.Value.Sources {
			if s.URL == "" {
				continue
			}
			r := Result{Category: cat.Name, URL: s.URL, File: policy.CachePath(u.CacheDir, s.URL), format: s.Format}
			if s.Format == lists.FormatUT1 {
				r.Err = fmt.Errorf("format ut1 is a folder: download a domains or urls file instead")
				r.File = ""
			}
			todo = append(todo, r)
		}
	}
	todo = append(todo, keywordSources(c, u.CacheDir)...)
	done := map[string]Result{}
	var failed int
	for i := range todo {
		r := &todo[i]
		if r.Err == nil {
			if u.Progress != nil {
				fmt.Fprintf(u.Progress, "[%d/%d] %s %s ... ", i+1, len(todo), r.Category, r.URL)
			}
			got, ok := done[r.URL]
			if !ok {
				got = u.Fetch(ctx, r.URL, r.format, r.File)
				done[r.URL] = got
			}
			r.Entries, r.Changed, r.NotModified, r.Err, r.Kept = got.Entries, got.Changed, got.NotModified, got.Err, got.Kept
			if u.Progress != nil {
				if r.Err != nil {
					fmt.Fprintln(u.Progress, "failed")
				} else {
					fmt.Fprintf(u.Progress, "%d entries\n", r.Entries)
				}
			}
		}
		if r.Err != nil {
			failed++
		}
	}
	if failed > 0 {
		return todo, fmt.Errorf("%d of %d list downloads failed", failed, len(todo))
	}
	return todo, nil
}

// Fetch downloads one source into dest, conditionally when dest has a
// copy whose ETag or Last-Modified was recorded. It never returns an
// error value: the Result carries it, and whether the old copy stays.
func (u *Updater) Fetch(ctx context.Context, url, format, dest string) Result {
	r := Result{URL: url, File: dest, format: format}
	old := ReadCopy(dest)
	if old.Exists && !old.recorded {
		// A copy from before records were kept: count it, so that the
		// shrink check still protects it.
		if st, err := countFile(dest, format); err == nil {
			old.Entries = st.Entries
		}
	}
	r.Entries, r.Changed, r.NotModified, r.Err = u.fetch(ctx, url, format, dest, old)
	if r.Err != nil && old.Exists {
		r.Kept = true
		r.Entries = old.Entries
	}
	return r
}

func (u *Updater) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

func (u *Updater) client() *http.Client {
	if u.Client != nil {
		return u.Client
	}
	return &http.Client{Timeout: 5 * time.Minute}
}

func (u *Updater) fetch(ctx context.Context, url, format, dest string, old Copy) (entries int, changed, notModified bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, false, false, err
	}
	req.Header.Set("User-Agent", "schoolgate-lists/1")
	if old.Exists && old.meta.URL == url {
		if old.meta.ETag != "" {
			req.Header.Set("If-None-Match", old.meta.ETag)
		}
		if old.meta.LastModified != "" {
			req.Header.Set("If-Modified-Since", old.meta.LastModified)
		}
	}
	resp, err := u.client().Do(req)
	if err != nil {
		return 0, false, false, err
	}
	defer resp.Body.Close()
	m := copyMeta{URL: url, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"), Checked: u.now()}
	if resp.StatusCode == http.StatusNotModified && old.Exists {
		// The copy is current: record the check, leave the file (and
		// so the reload watcher) alone.
		m.Entries = old.Entries
		if m.ETag == "" {
			m.ETag = old.meta.ETag
		}
		if m.LastModified == "" {
			m.LastModified = old.meta.LastModified
		}
		return old.Entries, false, true, writeMeta(dest, m)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, false, false, fmt.Errorf("HTTP %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxListBytes+1))
	if err != nil {
		return 0, false, false, fmt.Errorf("download cut short: %w", err)
	}
	if len(body) > MaxListBytes {
		return 0, false, false, ErrTooLarge
	}
	st, err := countList(body, url, format)
	if err != nil {
		return 0, false, false, err
	}
	switch {
	case st.Entries == 0 && st.Skipped > 0:
		return 0, false, false, fmt.Errorf("%w (%d lines skipped, e.g. %s): wrong format?", ErrEmpty, st.Skipped, st.Examples[0])
	case st.Entries == 0:
		return 0, false, false, fmt.Errorf("%w (%d bytes)", ErrEmpty, len(body))
	case old.Exists && st.Entries*2 < old.Entries && !u.Force:
		return 0, false, false, fmt.Errorf("%w: %d entries, the copy has %d (schoolgate lists update --force accepts it)", ErrShrunk, st.Entries, old.Entries)
	}
	m.Entries = st.Entries
	if old.Exists {
		if prev, err := os.ReadFile(dest); err == nil && bytes.Equal(prev, body) {
			return st.Entries, false, false, writeMeta(dest, m)
		}
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return 0, false, false, fmt.Errorf("list cache: %w", err)
	}
	if err := writeAtomic(dest, body); err != nil {
		return 0, false, false, err
	}
	return st.Entries, true, false, writeMeta(dest, m)
}
