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
		e.log.Error("alerts: the rules' cursor", "err", err)
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
	newest, err := e.opt.Store.MaxEventID(ctx)
	if err != nil {
		e.log.Error("alerts: the rules' cursor", "err", err)
		return
	}
	drops := e.dropped.Load()
	if !e.opt.Shared && !e.catching && drops == e.lastDrops {
		if newest > cur {
			e.advance(ctx, rs.Site, newest)
		}
		e.prune(storeLag)
		return
	}
	e.catching, e.lastDrops = true, drops
	now := e.opt.Now()
	for page := 0; page < catchUpPages && cur < newest; page++ {
		last, err := e.opt.Store.EventsAfter(ctx, cur, catchUpPage, func(id int64, ev *activity.Event) error {
			if id > newest {
				return nil
			}
			fp := e.fingerprint(ev)
			if _, done := e.seenLive[fp]; done {
				delete(e.seenLive, fp)
				return nil
			}
			e.seenStore[fp] = now
			e.mCaught.Inc()
			e.judge(rs, ev, "")
			return nil
		})
		if err != nil {
			e.log.Error("alerts: reading missed events", "err", err)
			return
		}
		if last == cur {
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
	e.prune(10 * time.Minute)
}

func (e *Engine) advance(ctx context.Context, site string, to int64) bool {
	if err := e.opt.Store.AdvanceAlertCursor(ctx, site, e.opt.Holder, to); err != nil {
		e.log.Error("alerts: the rules' cursor", "err", err)
		e.owner = false
		return false
	}
	return true
}

// storeLag is how long after an event its stored copy is surely there
// (the activity writer flushes every 250ms).
const storeLag = 5 * time.Second

// prune forgets fingerprints too old to meet their twin: an event judged
// from the store is out of the queue within a minute; one judged live is
// stored within storeLag (the cursor is then past it when no event was
// dropped), or within keepLive while catching up, or was never stored
// (the activity writer dropped it).
func (e *Engine) prune(keepLive time.Duration) {
	now := e.opt.Now()
	for fp, at := range e.seenStore {
		if now.Sub(at) > time.Minute {
			delete(e.seenStore, fp)
		}
	}
	for fp, at := range e.seenLive {
		if now.Sub(at) > keepLive {
			delete(e.seenLive, fp)
		}
	}
}
