package cli

import (
	"context"
	"time"

	"schoolgate/internal/probe"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/selftest"
)

// probeVerifier honours the self-test's probes with the node's probe key
// (nil, honouring none, without storage or when the key cannot be had).
func (d *serveDeps) probeVerifier() *probe.Verifier {
	if d.st.store == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key, err := d.st.store.Secret(ctx, probe.SecretName, probe.SecretSize)
	if err != nil {
		d.log.Error("self-test: no probe key: probes will not be honoured", "err", err)
		return nil
	}
	return probe.NewVerifier(key, d.now)
}

// selftestServices runs the self-test daily at selftest.schedule (site
// time) against this node's own listeners, and records each run as a
// measured check; a mismatch raises a finding and a warning in the log.
func (d *serveDeps) selftestServices() ([]service, error) {
	cfg := d.engine.Snapshot().Config()
	if _, ok := cfg.Selftest.Daily(); !ok {
		return nil, nil
	}
	if d.st.store == nil {
		d.log.Warn("self-test: no database to record checks in: the daily self-test is off")
		return nil, nil
	}
	return []service{&selftestService{d: d, checks: safeguarding.NewChecks(safeguarding.ChecksOptions{Store: d.st.store, Directory: d.st.dir, Now: d.now})}}, nil
}

type selftestService struct {
	d      *serveDeps
	checks *safeguarding.Checks
}

func (s *selftestService) Name() string { return "selftest" }

// Run waits for each day's run time, as the policy in force says it.
func (s *selftestService) Run(ctx context.Context) error {
	for {
		snap := s.d.engine.Snapshot()
		minute, ok := snap.Config().Selftest.Daily()
		wait := time.Hour // schedule turned off by a reload: look again later
		if ok {
			wait = untilDaily(s.d.now().In(snap.Location()), minute)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		if ok {
			s.once(ctx)
		}
	}
}

// untilDaily is the time from now to the next minute-of-day (now's zone).
func untilDaily(now time.Time, minute int) time.Duration {
	next := time.Date(now.Year(), now.Month(), now.Day(), minute/60, minute%60, 0, 0, now.Location())
	if !next.After(now) {
		next = next.AddDate(0, 0, 1)
	}
	return next.Sub(now)
}

func (s *selftestService) once(ctx context.Context) {
	d := s.d
	snap := d.engine.Snapshot()
	key, err := d.st.store.Secret(ctx, probe.SecretName, probe.SecretSize)
	if err != nil {
		d.log.Error("self-test not run: no probe key", "err", err)
		return
	}
	opt := selftest.Options{Snapshot: snap, Overrides: d.engine.Overrides(), Key: key, Now: d.now}
	opt.DNS, opt.Proxy = selftest.Addresses(snap.Config())
	rep, err := selftest.Run(ctx, opt)
	if err != nil {
		d.log.Error("self-test not run", "err", err)
		return
	}
	k, findings, err := s.checks.RecordMeasured(ctx, snap.Config().Site.ID, rep.Measured())
	if err != nil {
		d.log.Error("self-test: recording the check failed", "err", err)
		return
	}
	if len(findings) > 0 {
		d.log.Warn("SELF-TEST FAILED: the filter did not answer as the policy says; findings raised for the technical team and the DSL",
			"check", k.ID, "probes", len(rep.Results), "mismatches", len(findings))
		return
	}
	d.log.Info("self-test passed", "check", k.ID, "probes", len(rep.Results))
}
