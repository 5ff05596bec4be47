package cli

import (
	"context"
	"time"

	"schoolgate/internal/alerts"
	"schoolgate/internal/alerts/notify"
	"schoolgate/internal/store"
)

// noticeDelivery hands each new alert to delivery: the same fields, never
// a name, a search term or a site visited.
type noticeDelivery struct{ d *notify.Dispatcher }

func (n noticeDelivery) Raised(ctx context.Context, a alerts.Notice) {
	n.d.Raised(ctx, notify.Alert{ID: a.ID, Site: a.Site, Severity: a.Severity, Rule: a.Rule, Title: a.Title, Group: a.Group,
		Circumvention: a.Circumvention, At: a.At, EscalateAfter: a.EscalateAfter})
}

// escalationSource is the store as the escalation loop reads it.
type escalationSource struct{ st *store.Store }

func (s escalationSource) UnacknowledgedAlerts(ctx context.Context, site string, now time.Time) ([]notify.Pending, error) {
	list, err := s.st.UnacknowledgedAlerts(ctx, site, now)
	if err != nil {
		return nil, err
	}
	out := make([]notify.Pending, len(list))
	for i, p := range list {
		out[i] = notify.Pending{ID: p.ID, Site: p.Site, Severity: p.Severity, Rule: p.Rule, Title: p.Title, Group: p.Group,
			RaisedAt: p.RaisedAt, EscalateAfter: p.EscalateAfter, EscalationStep: p.EscalationStep}
	}
	return out, nil
}

func (s escalationSource) MarkAlertEscalated(ctx context.Context, id int64, step int, to []string) error {
	return s.st.MarkAlertEscalated(ctx, id, step, to)
}
