package store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"schoolgate/internal/activity"
)

// liveLag is how far behind now the live hours' running counts stay: the
// events of the last liveLag are counted afresh on every call (the
// writer may still hold some of them), the older ones once.
const liveLag = 2 * time.Second

// liveCounts keeps the running counts of the hours not rolled up yet (the
// hour in progress and, for rollupGrace, the one before), so that a
// summary counts only the events written since the previous one instead
// of the whole hour each time. Under a resolver logging tens of thousands
// of events a second, scanning the hour in progress on every dashboard
// view took seconds of CPU from the resolver itself (BENCHMARKS.md,
// Console).
//
// The counts cover the events from upTo (the first hour not rolled up)
// to wm. An event this Store writes later with a time before wm (a batch
// that waited in the writer's queue) is added by noteWritten; one another
// node writes that late is counted when its hour is rolled up, which
// recounts the hour from its events (the roll-up is the exact figure; the
// live one may miss such an event for the rest of the hour, or count one
// written at the very instant of a summary twice).
type liveCounts struct {
	mu     sync.Mutex // held while counting; never by the writer
	upTo   int64
	wm     int64
	counts hourCounts

	// next is the wm the count in progress will reach (0: no counts
	// yet): noteWritten adds an event before it to late, which the next
	// summary folds in.
	next   atomic.Int64
	lateMu sync.Mutex
	late   hourCounts

	// scanned counts the events read from the table (tests).
	scanned atomic.Int64
}

// noteWritten adds events written after the live counts passed their time.
// It is called after every committed batch and takes only lateMu, briefly.
func (l *liveCounts) noteWritten(events []activity.Event) {
	next := l.next.Load()
	if next == 0 {
		return
	}
	for i := range events {
		e := &events[i]
		at := micro(e.Time)
		if at >= next {
			continue
		}
		subject := e.User
		if subject == "" {
			subject = clientText(e.Client)
		}
		site := e.Site
		if site == "" {
			site = DefaultSite // as appendEventRow stores it
		}
		l.lateMu.Lock()
		if l.late == nil {
			l.late = hourCounts{}
		}
		l.late.add(at-at%hourMicro, site, subject, joinList(e.Groups), joinList(e.Categories), e.Verdict, string(e.Point), 1)
		l.lateMu.Unlock()
	}
}

// liveHours counts one school's events (site; AllSites: every school's)
// from upTo to `to` (microseconds): the part up to now-liveLag from the
// running counts, brought up to date first, and, when fresh, the rest
// afresh. The result is a new map the caller owns, holding only the hours
// from `from` on.
func (s *Store) liveHours(ctx context.Context, site string, upTo, from, to int64, fresh bool) (hourCounts, error) {
	l := &s.live
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil || upTo < l.upTo {
		l.counts, l.wm = hourCounts{}, upTo
		l.next.Store(0)
		l.lateMu.Lock()
		l.late = nil
		l.lateMu.Unlock()
	}
	if upTo > l.upTo {
		for k := range l.counts {
			if k.hour < upTo {
				delete(l.counts, k)
			}
		}
		l.wm = max(l.wm, upTo)
	}
	l.upTo = upTo
	if end := micro(s.now().Add(-liveLag)); end > l.wm {
		l.next.Store(end)
		n, err := s.countEvents(ctx, l.wm, end, l.counts)
		if err != nil {
			// What was counted of [wm, end) is unknown: start again.
			l.counts = nil
			return nil, err
		}
		l.scanned.Add(n)
		l.wm = end
	}
	l.lateMu.Lock()
	for k, n := range l.late {
		if k.hour >= upTo {
			l.counts[k] += n
		}
	}
	l.late = nil
	l.lateMu.Unlock()

	out := hourCounts{}
	for k, n := range l.counts {
		if k.hour >= from && k.hour < to && (site == AllSites || k.site == site) {
			out[k] = n
		}
	}
	if tail := max(from, l.wm); fresh && tail < to {
		n, err := s.countEvents(ctx, tail, to, out)
		if err != nil {
			return nil, err
		}
		l.scanned.Add(n)
		if site != AllSites {
			for k := range out {
				if k.site != site {
					delete(out, k)
				}
			}
		}
	}
	return out, nil
}
