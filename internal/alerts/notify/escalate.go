package notify

import (
	"context"
	"fmt"
	"time"
)

// Pending is an alert not yet acknowledged (the store's PendingAlert).
type Pending struct {
	ID             int64
	Site           string
	Severity       int
	Rule, Title    string
	Group          string
	RaisedAt       time.Time
	EscalateAfter  time.Duration
	EscalationStep int
}

// Source is where escalation finds the alerts still waiting and records
// each step taken (the store).
type Source interface {
	UnacknowledgedAlerts(ctx context.Context, site string, now time.Time) ([]Pending, error)
	MarkAlertEscalated(ctx context.Context, id int64, step int, to []string) error
}

// RunEscalation checks every period for alerts not acknowledged within
// their rule's escalate_after, until ctx ends. Step k (1, 2, ...) is due
// k periods after the alert was raised and goes to the k-th escalation
// contact in list order that takes the alert's group; one not on duty is
// passed over for the next who is (when none is, the k-th is told all
// the same). Acknowledging the alert ends it: the source no longer lists
// it.
func (d *Dispatcher) RunEscalation(ctx context.Context, src Source, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := d.escalate(ctx, src, d.opts.Now()); err != nil && ctx.Err() == nil {
			d.log.Warn("alert escalation", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// escalate takes every step due at now, one step per alert per call.
func (d *Dispatcher) escalate(ctx context.Context, src Source, now time.Time) error {
	r := d.cur.Load()
	pending, err := src.UnacknowledgedAlerts(ctx, r.site, now)
	if err != nil {
		return fmt.Errorf("unacknowledged alerts: %w", err)
	}
	local := now.In(r.loc)
	for _, p := range pending {
		if p.EscalateAfter <= 0 || p.Site != r.site {
			continue
		}
		a := Alert{ID: p.ID, Site: p.Site, Severity: p.Severity, Rule: p.Rule, Title: p.Title, Group: p.Group, At: p.RaisedAt, EscalateAfter: p.EscalateAfter}
		due := int(now.Sub(p.RaisedAt) / p.EscalateAfter)
		if p.EscalationStep >= due {
			continue
		}
		chain := r.escalationChain(a)
		if p.EscalationStep >= len(chain) {
			continue // everyone in the list has been told
		}
		step := p.EscalationStep + 1
		for i := p.EscalationStep; i < len(chain); i++ {
			if chain[i].onDuty(local) {
				step = i + 1
				break
			}
		}
		ct := chain[step-1]
		var hooks []*webhook
		if w := r.hooks[ct.webhook]; w != nil {
			hooks = append(hooks, w)
		}
		if d.deliver(ctx, r, a, step, []*contact{ct}, hooks) == 0 {
			continue // nothing queued: tried again next time round
		}
		to := ct.email
		if to == "" {
			to = "webhook:" + ct.webhook
		}
		if err := src.MarkAlertEscalated(ctx, p.ID, step, []string{to}); err != nil {
			return fmt.Errorf("alert %d escalation step %d: %w", p.ID, step, err)
		}
	}
	return nil
}

// escalationChain is the escalation contacts who take the alert's group
// and kind, in list order.
func (r *routes) escalationChain(a Alert) []*contact {
	var out []*contact
	for _, ct := range r.contacts {
		if ct.escalation && ct.covers(a) {
			out = append(out, ct)
		}
	}
	return out
}
