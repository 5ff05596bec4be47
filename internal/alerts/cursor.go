package alerts

import (
	"context"
	"time"

	"schoolgate/internal/activity"
)

// keepCursor renews this node's lease on the site's cursor and moves the
// cursor on.
//
// While no event has been dropped since the last tick (and this node's
// stream is the whole log: not Shared) every stored event up to the
// newest was judged live, so the cursor jumps to the newest id. The
// newest id is read before the drop count: an event stored by then was
// queued (or dropped) before it was stored, so a drop among them shows.
// Otherwise the engine catches up: it judges the stored events after the
// cursor, skipping those it judged live meanwhile (by fingerprint), a
// bounded number of pages a tick, until it reaches the newest with no
// new drop.
func (e *Engine) keepCursor(ctx context.Context) {
	rs := e.current()
	cur, ok, err := e.opt.Store.ClaimAlertCursor(ctx, rs.Site, e.opt.Holder, leaseFor)
	if err != nil {
		// The database does not answer (a node cut off from it): judge
		// the live events here, keeping the hits until it answers; a
		// repeat another node raises too folds into the same alert.
		if !e.owner {
			e.log.Warn("alerts: the rules' lease cannot be checked: judging this node's events meanwhile", "err", err)
		}
		e.owner = true
		return
	}
	if !ok {
		if e.owner {
			e.log.Info("alerts: another node holds the rules' lease")
		}
		e.owner, e.catching = false, true
		clear(e.seenLive)
		clear(e.seenStore)
		return
	}
	e.owner = true
	newest, newestAt, err := e.opt.Store.NewestEvent(ctx)
	if err != nil {
		e.log.Error("alerts: the rules' cursor", "err", err)
		return
	}
	drops := e.dropped.Load()
	if !e.opt.Shared && !e.catching && drops == e.lastDrops {
		if newest > cur {
			e.advance(ctx, rs.Site, newest)
		}
		e.prune(newestAt)
		return
	}
	e.catching, e.lastDrops = true, drops
	now := e.opt.Now()
	var readTo time.Time // the time of the last stored event judged
	for page := 0; page < catchUpPages && cur < newest; page++ {
		last, err := e.opt.Store.EventsAfter(ctx, rs.Site, cur, catchUpPage, func(id int64, ev *activity.Event) error {
			if id > newest {
				return nil
			}
			readTo = ev.Time
			if !rs.applies(ev, "") {
				return nil
			}
			fp := e.fingerprint(ev)
			if _, done := e.seenLive[fp]; done {
				delete(e.seenLive, fp)
				return nil
			}
			e.seenStore[fp] = now.UnixNano()
			e.mCaught.Inc()
			e.judge(rs, ev, "")
			return nil
		})
		if err != nil {
			e.log.Error("alerts: reading missed events", "err", err)
			return
		}
		if last == cur {
			// Nothing more of this school's up to the newest event (the
			// newer ones are other schools'): the cursor moves there, so
			// the next tick does not read past them again.
			if cur < newest && e.advance(ctx, rs.Site, newest) {
				cur = newest
			}
			break
		}
		cur = min(last, newest)
		e.flush(ctx)
		if !e.advance(ctx, rs.Site, cur) {
			return
		}
	}
	if cur >= newest && e.dropped.Load() == drops {
		e.catching = false
	}
	e.prune(readTo)
}

func (e *Engine) advance(ctx context.Context, site string, to int64) bool {
	if err := e.opt.Store.AdvanceAlertCursor(ctx, site, e.opt.Holder, to); err != nil {
		e.log.Error("alerts: the rules' cursor", "err", err)
		e.owner = false
		return false
	}
	return true
}

// storeSlack is how far out of time order events may be stored (the
// activity writer's batches, two of them at once on PostgreSQL).
const storeSlack = 5 * time.Second

// prune forgets fingerprints that can no longer meet their twin. An event
// judged from the store is out of the queue within a minute. One judged
// live is remembered until the stored events the cursor has passed are
// newer than it by storeSlack (at however the activity writer lags), so
// that a drop found later, which sends the engine over the stored events
// after the cursor, does not judge it twice; one never stored (the
// writer dropped it) goes the same way.
func (e *Engine) prune(stored time.Time) {
	old := e.opt.Now().Add(-time.Minute).UnixNano()
	for fp, at := range e.seenStore {
		if at < old {
			delete(e.seenStore, fp)
		}
	}
	if stored.IsZero() {
		return
	}
	before := stored.Add(-storeSlack).UnixNano()
	for fp, at := range e.seenLive {
		if at < before {
			delete(e.seenLive, fp)
		}
	}
}
