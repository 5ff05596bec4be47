package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/alerts"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/proxy/pages"
)

// alertServices starts the alert rules (alerts.rules, plus the built-in
// rule for illegal categories) when there is a database to keep alerts
// in. The rules take the activity stream through their own queue: the
// sink DNS and the proxy log to becomes a tee, the rules first (see
// alerts.Engine.Log: it never waits), then the activity writer.
func (d *serveDeps) alertServices() ([]service, error) {
	if d.st.store == nil {
		d.log.Warn("alerts: no database: monitoring alerts are off")
		return nil, nil
	}
	snap := d.engine.Snapshot()
	rs, err := compileAlertRules(snap.Config(), d.dataDir)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	eng, err := alerts.New(rs, alerts.Options{
		Store: d.st.store,
		Roles: func(ctx context.Context, user string) ([]identity.Role, error) {
			u, err := d.st.dir.Lookup(ctx, user) // the local copy while the database does not answer
			if err != nil {
				return nil, err
			}
			return u.Roles, nil
		},
		Now:    d.now,
		Holder: fmt.Sprintf("%s/%d", host, os.Getpid()),
		// A trust's node may share its school with another node: the
		// lease holder judges the school's stored events, both nodes'.
		Shared:     d.node != nil,
		Registerer: d.registry,
		Log:        d.log,
		Notifier:   d.alertNotifier(),
	})
	if err != nil {
		return nil, err
	}
	d.alerts = eng
	d.activity = teeSink{first: eng, then: d.activity}
	d.log.Info("alerts: rules running", "rules", len(rs.List()))
	return []service{&alertService{d: d, eng: eng, snap: snap}}, nil
}

// alertNotifier is delivery (serve_notify.go), or nil without it.
func (d *serveDeps) alertNotifier() alerts.Notifier {
	if d.notifier == nil {
		return nil
	}
	return noticeDelivery{d.notifier}
}

// teeSink gives every event to two sinks, first then then.
type teeSink struct{ first, then activity.Sink }

func (t teeSink) Log(e activity.Event) {
	t.first.Log(e)
	t.then.Log(e)
}

// alertService runs the engine and swaps in the rules of each reloaded
// policy (a policy whose rules do not compile keeps the old ones).
type alertService struct {
	d    *serveDeps
	eng  *alerts.Engine
	snap *policy.Snapshot
}

func (s *alertService) Name() string { return "alerts" }

func (s *alertService) Run(ctx context.Context) error {
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				snap := s.d.engine.Snapshot()
				if snap == s.snap {
					continue
				}
				s.snap = snap
				rs, err := compileAlertRules(snap.Config(), s.d.dataDir)
				if err != nil {
					s.d.log.Error("alerts: the reloaded policy's rules are refused; the previous rules stay in force", "err", err)
					continue
				}
				s.eng.Swap(rs)
			}
		}
	}()
	return s.eng.Run(ctx)
}

// alertConcerns tells the rules of each concern stored from the block
// page, with its kind.
func (d *serveDeps) alertConcerns(c pages.Concerns) pages.Concerns {
	if d.alerts == nil || c == nil {
		return c
	}
	return concernAlerts{Concerns: c, eng: d.alerts}
}

type concernAlerts struct {
	pages.Concerns
	eng *alerts.Engine
}

func (c concernAlerts) CreateConcern(ctx context.Context, k pages.Concern) (int64, error) {
	id, err := c.Concerns.CreateConcern(ctx, k)
	if err == nil {
		c.eng.Concern(ctx, k.Kind, activity.Event{Time: k.At, Client: k.Client, User: k.User, URL: k.URL, Action: "concern", Point: activity.PointProxy})
	}
	return id, err
}
