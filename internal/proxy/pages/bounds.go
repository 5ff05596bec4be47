package pages

import "time"

// rememberMax bounds each of the pages' in-memory maps (click-throughs,
// agreements already checked), so that no stream of visitors can grow
// them without limit. Both are caches of what the store keeps: losing
// them costs a store lookup (an agreement) or one more warning page (a
// click-through), never a wrong decision.
const rememberMax = 100_000

// rememberAccepted notes that key's agreement is on record. Called with
// p.mu held.
func (p *Pages) rememberAccepted(key string) {
	if len(p.accepted) >= rememberMax {
		clear(p.accepted)
	}
	p.accepted[key] = true
}

// rememberContinue notes a click-through until its end. Called with p.mu
// held.
func (p *Pages) rememberContinue(key string, until, now time.Time) {
	if len(p.continued) >= rememberMax {
		p.sweepContinued(now)
		if len(p.continued) >= rememberMax {
			clear(p.continued)
		}
	}
	p.continued[key] = until
}
