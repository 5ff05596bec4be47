package cli

import (
	"context"
	"fmt"
	"time"

	"schoolgate/internal/alerts/notify"
	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// escalationEvery is how often unacknowledged alerts are checked for a
// step due.
const escalationEvery = 30 * time.Second

// notifyServices builds alert delivery (internal/alerts/notify), with
// storage (every notification is audited); a reload puts new contacts in
// force. A password or secret the policy names that cannot be read stops
// serve here, not at the first alert.
func (d *serveDeps) notifyServices() ([]service, error) {
	cfg := d.engine.Snapshot().Config()
	if d.st.store == nil {
		if len(cfg.Alerts.Contacts) > 0 || len(cfg.Alerts.Webhooks) > 0 {
			return nil, fmt.Errorf("alerts: contacts and webhooks need storage (every notification is audited)")
		}
		return nil, nil
	}
	n, err := notify.New(cfg, notify.Options{Now: d.now, Logger: d.log, Registerer: d.registry, Audit: notifyAudit(d.st.store, d)})
	if err != nil {
		return nil, err
	}
	d.notifier = n
	d.engine.OnReload(func(s *policy.Snapshot) {
		if err := n.Apply(s.Config()); err != nil {
			d.log.Error("alert delivery keeps the contacts and webhooks it had", "err", err)
		}
	})
	return []service{&notifyService{n: n, src: escalationSource{d.st.store}, every: escalationCheck(cfg)}}, nil
}

// escalationCheck is how often escalation looks for a step due: every
// 30 seconds, or a quarter of the shortest escalate_after (at least a
// second), so that a step is never more than a quarter late.
func escalationCheck(cfg *config.Config) time.Duration {
	every := escalationEvery
	for _, r := range cfg.Alerts.Rules {
		if q := r.EscalateAfter.D() / 4; q > 0 && q < every {
			every = q
		}
	}
	return max(every, time.Second)
}

// notifyAudit writes each notification sent or given up on to the audit
// chain, as the server ("schoolgate" from "alerts").
func notifyAudit(st *store.Store, d *serveDeps) func(context.Context, string, int64, string) {
	by := store.Actor{Name: "schoolgate", From: "alerts"}
	return func(ctx context.Context, action string, id int64, recipient string) {
		if err := st.Audit(ctx, by, action, fmt.Sprintf("alert:%d", id), nil, map[string]string{"to": recipient}); err != nil {
			d.log.Error("audit of an alert notification", "alert", id, "err", err)
		}
	}
}

// notifyService runs escalation over src (the alert store) and stops the
// delivery workers at shutdown.
type notifyService struct {
	n     *notify.Dispatcher
	src   notify.Source
	every time.Duration
}

func (s *notifyService) Name() string { return "alert delivery" }

func (s *notifyService) Run(ctx context.Context) error {
	defer s.n.Close()
	if s.src != nil {
		s.n.RunEscalation(ctx, s.src, s.every)
	}
	<-ctx.Done()
	return ctx.Err()
}
