package listsync

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"schoolgate/internal/policy"
	"schoolgate/internal/policy/lists"
)

// Refresher keeps the url: sources of the policy in force downloaded: at
// start it fetches every source without a copy, then each one again every
// Interval (±10%), conditionally. A changed copy is replaced atomically,
// which the serve reload watcher sees. Failures are retried sooner, with
// backoff, and logged once per source per streak of failures.
type Refresher struct {
	Updater *Updater
	// Snapshot is the policy in force; its sources (and their cache
	// files) are read again on every pass, so a reload that adds a url:
	// source gets it downloaded.
	Snapshot func() *policy.Snapshot
	// Interval between downloads of a source; 0 takes the policy's
	// lists.refresh on every pass (so a reload changes it), where 0 is
	// off: nothing is downloaded, not even a missing copy.
	Interval time.Duration
	Log      *slog.Logger
	Now      func() time.Time

	wakeOnce sync.Once
	wake     chan struct{}
}

// source is one url: source to keep fresh.
type source struct {
	category, url, format, file string
}

// schedule is when a source is next due and how its downloads went.
type schedule struct {
	at       time.Time
	failures int
}

// Wake makes Run look at the policy again now (after a reload).
func (r *Refresher) Wake() {
	select {
	case r.wakeChan() <- struct{}{}:
	default:
	}
}

func (r *Refresher) wakeChan() chan struct{} {
	r.wakeOnce.Do(func() { r.wake = make(chan struct{}, 1) })
	return r.wake
}

func (r *Refresher) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Run refreshes until ctx ends. It always returns nil: a failed download
// is logged and retried, never fatal to serve.
func (r *Refresher) Run(ctx context.Context) error {
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
	wake := r.wakeChan()
	due := map[string]*schedule{} // by URL
	for {
		snap := r.Snapshot()
		interval := r.Interval
		if interval == 0 {
			interval = snap.Config().Lists.Refresh
		}
		if interval <= 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-wake:
				continue
			}
		}
		now := r.now()
		next := now.Add(interval)
		seen := map[string]bool{}
		for _, s := range urlSources(snap) {
			if seen[s.url] {
				continue
			}
			seen[s.url] = true
			sc := due[s.url]
			if sc == nil {
				sc = &schedule{at: now}
				if c := ReadCopy(s.file); c.Exists {
					sc.at = c.Checked.Add(jitter(interval))
				}
				due[s.url] = sc
			}
			if !sc.at.After(now) {
				res := r.Updater.Fetch(ctx, s.url, s.format, s.file)
				if ctx.Err() != nil {
					return nil
				}
				r.record(s, sc, res, interval)
			}
			next = minTime(next, sc.at)
		}
		for u := range due {
			if !seen[u] {
				delete(due, u) // no longer in the policy
			}
		}
		t := time.NewTimer(max(next.Sub(r.now()), 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// record schedules a source's next download and logs what needs saying:
// the first failure of a streak, the recovery, a changed copy. A list's
// URL is not personal data; nothing here names a user.
func (r *Refresher) record(s source, sc *schedule, res Result, interval time.Duration) {
	now := r.now()
	if res.Err == nil {
		if sc.failures > 0 {
			r.Log.Info("list download works again", "category", s.category, "url", s.url, "failures", sc.failures)
		}
		if res.Changed {
			r.Log.Info("list downloaded", "category", s.category, "url", s.url, "entries", res.Entries)
		}
		sc.failures = 0
		sc.at = now.Add(jitter(interval))
		return
	}
	sc.failures++
	sc.at = now.Add(backoff(sc.failures, interval))
	if sc.failures > 1 {
		return
	}
	if res.Kept {
		r.Log.Warn("list download failed; keeping the last good copy", "category", s.category, "url", s.url, "copy_entries", res.Entries, "err", res.Err)
	} else {
		r.Log.Error("list download failed; no previous copy: the category has no entries from this source", "category", s.category, "url", s.url, "err", res.Err)
	}
}

// jitter spreads d by ±10%, so that many schools do not all ask at once.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.9 + 0.2*rand.Float64()))
}

// backoff is the wait before retry n of a failing source: a minute,
// doubling, never longer than the refresh interval.
func backoff(n int, interval time.Duration) time.Duration {
	return min(interval, time.Minute<<min(n-1, 16))
}

// urlSources lists snap's url: sources with their cache files.
func urlSources(snap *policy.Snapshot) []source {
	var out []source
	for _, cs := range Status(snap, time.Time{}) {
		for _, s := range cs.Sources {
			if s.URL && s.File != "" && s.Format != lists.FormatUT1 {
				out = append(out, source{category: cs.Name, url: s.Source, format: s.Format, file: s.File})
			}
		}
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
