package alerts

import "time"

// maxThresholdKeys bounds the people (or addresses) a threshold counts at
// once; past it the oldest are swept, and if none is old enough a new
// one is not counted until some are.
const maxThresholdKeys = 100_000

// windows is the sliding-window state of the threshold rules: per rule and
// person, the times of the last count events (a ring). Memory is at most
// maxThresholdKeys rings of count times each.
type windows struct {
	m       map[windowKey]*ring
	skipped uint64 // events not counted: the table was full
}

type windowKey struct {
	rule *Rule
	who  string
}

type ring struct {
	at   []time.Time
	next int
	n    int
	last time.Time
}

func newWindows() *windows { return &windows{m: map[windowKey]*ring{}} }

// add counts an event at t and reports whether the rule's count is now
// reached within its window, and the oldest of those events; the ring
// then starts again.
func (w *windows) add(r *Rule, who string, t time.Time) (bool, time.Time) {
	k := windowKey{r, who}
	g := w.m[k]
	if g == nil {
		if len(w.m) >= maxThresholdKeys && !w.sweep(t) {
			w.skipped++
			return false, time.Time{}
		}
		g = &ring{at: make([]time.Time, r.threshold.count)}
		w.m[k] = g
	}
	g.at[g.next] = t
	g.next = (g.next + 1) % len(g.at)
	g.n = min(g.n+1, len(g.at))
	if t.After(g.last) {
		g.last = t
	}
	if g.n < len(g.at) {
		return false, time.Time{}
	}
	oldest := g.at[g.next] // the ring is full: next is the oldest
	if t.Sub(oldest) > r.threshold.window {
		return false, time.Time{}
	}
	g.n, g.next = 0, 0
	return true, oldest
}

// sweep drops the rings whose newest event is outside their window, and
// reports whether there is room now.
func (w *windows) sweep(now time.Time) bool {
	for k, g := range w.m {
		if now.Sub(g.last) > k.rule.threshold.window {
			delete(w.m, k)
		}
	}
	return len(w.m) < maxThresholdKeys
}

// forget drops the rings of rules no longer in force (after a reload).
func (w *windows) forget(rs *Rules) {
	live := map[*Rule]bool{}
	for _, r := range rs.rules {
		live[r] = true
	}
	for k := range w.m {
		if !live[k.rule] {
			delete(w.m, k)
		}
	}
}
