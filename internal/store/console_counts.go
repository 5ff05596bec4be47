package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// countsTTL is how long a count is reused. The hours not rolled up yet
// are counted from their raw events on each call; under heavy traffic
// (tens of thousands of events a second) that is a scan every dashboard
// view would repeat, competing with the activity writer (and so with
// DNS). Counts without names a few seconds old are as good.
const countsTTL = 10 * time.Second

// countsCache holds recent Counts answers by their arguments.
type countsCache struct {
	mu      sync.Mutex
	entries map[string]countsEntry
}

type countsEntry struct {
	rows []SummaryRow
	at   time.Time
}

// Counts is Summarize for the console's dashboards: counts by day, hour,
// category, verdict or point, never by subject, so it names nobody and
// needs no audit record. since and until round down to their hour. site
// is the school counted (AllSites: the trust's), from the actor. The
// last few seconds' events are left to the next call (liveLag): counts
// seconds old are as good, and counting them afresh on every call cost a
// resolver logging tens of thousands of events a second a quarter of its
// rate.
func (s *Store) Counts(ctx context.Context, site string, since, until time.Time, keys []string) ([]SummaryRow, error) {
	if site == "" {
		return nil, fmt.Errorf("store: counts: %w", ErrNoSite)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("store: %w: nothing to count by", ErrInvalid)
	}
	exprs := make([]string, len(keys))
	for i, k := range keys {
		e, ok := summaryExpr[k]
		if !ok || k == "subject" {
			allowed := slices.DeleteFunc(slices.Clone(SummaryKeys), func(k string) bool { return k == "subject" })
			return nil, fmt.Errorf("store: %w: cannot count by %q without names (want %s)", ErrInvalid, k, strings.Join(allowed, ", "))
		}
		exprs[i] = e
	}
	from, to := micro(since.Truncate(time.Hour)), micro(until.Truncate(time.Hour))
	key := fmt.Sprint(site, "/", from, "/", to, "/", strings.Join(keys, ","))
	now := time.Now()
	s.counts.mu.Lock()
	if e, ok := s.counts.entries[key]; ok && now.Sub(e.at) < countsTTL {
		s.counts.mu.Unlock()
		return slices.Clone(e.rows), nil
	}
	s.counts.mu.Unlock()
	rows, err := s.summarize(ctx, site, from, to, keys, exprs, false)
	if err != nil {
		return nil, err
	}
	s.counts.mu.Lock()
	defer s.counts.mu.Unlock()
	if s.counts.entries == nil || len(s.counts.entries) > 256 {
		s.counts.entries = map[string]countsEntry{}
	}
	s.counts.entries[key] = countsEntry{rows: slices.Clone(rows), at: now}
	return rows, nil
}
