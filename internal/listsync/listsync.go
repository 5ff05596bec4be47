// Package listsync downloads the url: sources of a policy into the list
// cache. A copy is replaced only when the new one downloaded and parsed
// whole; on any failure the last good copy stays.
package listsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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

// ErrTooLarge is returned for a download over MaxListBytes.
var ErrTooLarge = errors.New("list larger than 512 MiB")

// Updater downloads list sources.
type Updater struct {
	CacheDir string
	Client   *http.Client
	// Progress, if set, receives a progress line per source.
	Progress io.Writer
	Log      *slog.Logger
}

// Result is what happened to one source.
type Result struct {
	Category string
	URL      string
	File     string
	Entries  int
	Changed  bool
	Err      error

	format string // the source's list format
}

// Update downloads every url: source of c. It returns one result per
// source and an error when any failed.
func (u *Updater) Update(ctx context.Context, c *config.Config) ([]Result, error) {
	if u.Client == nil {
		u.Client = &http.Client{Timeout: 5 * time.Minute}
	}
	if u.Log == nil {
		u.Log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(u.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("list cache: %w", err)
	}
	var todo []Result
	for _, cat := range c.Categories {
		for _, s := range cat.Value.Sources {
			if s.URL == "" {
				continue
			}
			if s.Format == lists.FormatUT1 {
				todo = append(todo, Result{Category: cat.Name, URL: s.URL, Err: fmt.Errorf("format ut1 is a folder: download a domains or urls file instead")})
				continue
			}
			todo = append(todo, Result{Category: cat.Name, URL: s.URL, File: policy.CachePath(u.CacheDir, s.URL), format: s.Format})
		}
	}
	var failed int
	for i := range todo {
		r := &todo[i]
		if r.Err == nil {
			if u.Progress != nil {
				fmt.Fprintf(u.Progress, "[%d/%d] %s %s ... ", i+1, len(todo), r.Category, r.URL)
			}
			r.Entries, r.Changed, r.Err = u.fetch(ctx, r.URL, r.format, r.File)
			if u.Progress != nil {
				if r.Err != nil {
					fmt.Fprintf(u.Progress, "failed: %v\n", r.Err)
				} else {
					fmt.Fprintf(u.Progress, "%d entries\n", r.Entries)
				}
			}
		}
		if r.Err != nil {
			failed++
			u.Log.Warn("list download failed; keeping the last good copy", "category", r.Category, "url", r.URL, "err", r.Err)
		}
	}
	if failed > 0 {
		return todo, fmt.Errorf("%d of %d list downloads failed", failed, len(todo))
	}
	return todo, nil
}

func (u *Updater) fetch(ctx context.Context, url, format, dest string) (int, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("User-Agent", "schoolgate-lists/1")
	resp, err := u.Client.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, fmt.Errorf("HTTP %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxListBytes+1))
	if err != nil {
		return 0, false, fmt.Errorf("download cut short: %w", err)
	}
	if len(body) > MaxListBytes {
		return 0, false, ErrTooLarge
	}
	st, err := lists.Parse(bytes.NewReader(body), url, format, func(lists.Entry) {})
	if err != nil {
		return 0, false, err
	}
	if st.Entries == 0 && st.Skipped > 0 {
		return 0, false, fmt.Errorf("no entries parsed (%d lines skipped, e.g. %s): wrong format?", st.Skipped, st.Examples[0])
	}
	if old, err := os.ReadFile(dest); err == nil && bytes.Equal(old, body) {
		return st.Entries, false, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".download-*")
	if err != nil {
		return 0, false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return 0, false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return 0, false, err
	}
	if err := tmp.Close(); err != nil {
		return 0, false, err
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return 0, false, err
	}
	return st.Entries, true, nil
}
