package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"schoolgate/internal/config"
)

// PurgeReport counts what a purge removed (or, in a dry run, would
// remove), and from before which moment.
type PurgeReport struct {
	DryRun         bool      `json:"dry_run"`
	ActivityBefore time.Time `json:"activity_before"`
	DNSBefore      time.Time `json:"dns_before"`
	Activity       int64     `json:"activity_events"`
	DNSEvents      int64     `json:"dns_events"`
	Hourly         int64     `json:"hourly_aggregates"`
	Requests       int64     `json:"requests"`
	Overrides      int64     `json:"overrides"`
	// Expired counts the pending requests that waited longer than
	// retention.pending_requests and were marked expired (not deleted).
	Expired  int64 `json:"expired_requests"`
	Concerns int64 `json:"concerns"`
	// Incidents counts the closed incidents (with their entries,
	// evidence, investigations and sanctions) past their retention;
	// IncidentsFlagged the closed incidents about pupils kept because a
	// pupil's date of birth is unknown (not deleted, not in Total).
	Incidents        int64 `json:"incidents"`
	IncidentsFlagged int64 `json:"incidents_kept_without_birth_date"`
	// Alerts counts the closed alerts past retention.alerts.
	Alerts int64 `json:"alerts"`
}

// Total is the number of rows concerned.
func (p *PurgeReport) Total() int64 {
	return p.Activity + p.DNSEvents + p.Hourly + p.Requests + p.Overrides + p.Expired + p.Concerns + p.Incidents + p.Alerts
}

type purgeTarget struct {
	table, where string
	before       int64
	count        *int64
}

// purgeChunk bounds each delete, so the writer (and the activity log
// behind it) never waits long for the lock.
const purgeChunk = 20_000

// Purge applies the retention periods: raw DNS events after DNSEvents, the
// other activity events and the hourly aggregates after Activity (rolling
// up the ended hours first, so no event goes uncounted), decided
// requests after Requests, ended overrides after Overrides, closed
// concerns after Concerns from their closing (open ones never). On
// PostgreSQL whole days of events go by dropping their partitions, the
// rest row by row. Requests
// pending longer than PendingRequests are first marked expired, so they
// go with the decided ones. The audit trail is never purged. dryRun only counts. A purge that removed anything is
// recorded in the audit trail as by's.
func (s *Store) Purge(ctx context.Context, by Actor, r config.Retention, now time.Time, dryRun bool) (PurgeReport, error) {
	rep := PurgeReport{DryRun: dryRun, ActivityBefore: now.Add(-r.Activity.D()).UTC(), DNSBefore: now.Add(-r.DNSEvents.D()).UTC()}
	// Events go only once their hour is counted in the aggregates: a dry
	// run counts on the hours Rollup would take now; a purge rolls up
	// first and goes no further than the hours rolled up (another node
	// may be rolling up still). Only a retention period shorter than an
	// hour, or roll-ups that have stopped, reach that limit.
	counted := now.Add(-rollupGrace).Truncate(time.Hour)
	if !dryRun {
		if _, err := s.Rollup(ctx, now); err != nil {
			return rep, err
		}
		upTo, err := s.rolledUpTo(ctx)
		if err != nil {
			return rep, err
		}
		if up := fromMicro(upTo); up.Before(counted) {
			counted = up
		}
	}
	eventsBefore := func(t time.Time) int64 {
		if t.After(counted) {
			t = counted
		}
		return micro(t)
	}
	// A zero period (a Retention not from a policy file) keeps requests
	// pending and concerns, safeguarding records, for good.
	if r.PendingRequests > 0 {
		if err := s.expireRequests(ctx, now.Add(-r.PendingRequests.D()), now, dryRun, &rep.Expired); err != nil {
			return rep, err
		}
	}
	concernsBefore := int64(0)
	if r.Concerns > 0 {
		concernsBefore = micro(now.Add(-r.Concerns.D()))
	}
	targets := []purgeTarget{
		{"activity", "point = 'dns' AND at < $1", eventsBefore(rep.DNSBefore), &rep.DNSEvents},
		{"activity", "point <> 'dns' AND at < $1", eventsBefore(rep.ActivityBefore), &rep.Activity},
		{"activity_hourly", "hour < $1", micro(rep.ActivityBefore), &rep.Hourly},
		{"activity_group_hourly", "hour < $1", micro(rep.ActivityBefore), new(int64)},
		{"activity_rollups", "hour < $1", micro(rep.ActivityBefore), new(int64)},
		{"requests", "status <> 'pending' AND created < $1", micro(now.Add(-r.Requests.D())), &rep.Requests},
		{"overrides", "until < $1", micro(now.Add(-r.Overrides.D())), &rep.Overrides},
		{"concerns", "status = 'closed' AND closed_at < $1", concernsBefore, &rep.Concerns},
	}
	if s.dialect == Postgres && !dryRun {
		// Whole days go with their partitions (activity_days.go); a dry
		// run counts their rows below with the rest.
		if err := s.dropDays(ctx, min(eventsBefore(rep.DNSBefore), eventsBefore(rep.ActivityBefore)), false, &rep.DNSEvents, &rep.Activity); err != nil {
			return rep, err
		}
	}
	for _, t := range targets {
		if dryRun {
			if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.table+` WHERE `+t.where, t.before).Scan(t.count); err != nil {
				return rep, fmt.Errorf("store: purge %s: %w", t.table, err)
			}
			continue
		}
		id := "rowid"
		switch {
		case s.dialect == Postgres && t.table == "activity":
			// A ctid is unique within one partition only.
			id = "tableoid, ctid"
		case s.dialect == Postgres:
			id = "ctid"
		}
		for {
			res, err := s.w.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE (`+id+`) IN (SELECT `+id+` FROM `+t.table+` WHERE `+t.where+` LIMIT `+fmt.Sprint(purgeChunk)+`)`, t.before)
			if err != nil {
				return rep, fmt.Errorf("store: purge %s: %w", t.table, err)
			}
			n, _ := res.RowsAffected()
			*t.count += n
			if n < purgeChunk {
				break
			}
		}
	}
	if err := s.purgeRecords(ctx, r, now, dryRun, &rep); err != nil {
		return rep, err
	}
	if err := s.purgeAlerts(ctx, r, now, dryRun, &rep); err != nil {
		return rep, err
	}
	if !dryRun && rep.DNSEvents+rep.Activity > 0 {
		// Forget the blocks left empty (a stale time range on a block
		// that still has events only costs a search one extra seek).
		if _, err := s.w.ExecContext(ctx, `DELETE FROM activity_blocks WHERE NOT EXISTS
			(SELECT 1 FROM activity WHERE activity.blk = activity_blocks.blk)`); err != nil {
			return rep, fmt.Errorf("store: purge activity_blocks: %w", err)
		}
	}
	if !dryRun && rep.Total() > 0 {
		if err := s.Audit(ctx, by, "retention.purge", "activity", nil, rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// expireRequests marks expired the pending requests last asked for before
// before (a dry run counts them).
func (s *Store) expireRequests(ctx context.Context, before, now time.Time, dryRun bool, count *int64) error {
	const where = `status = 'pending' AND last_seen < $1`
	if dryRun {
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM requests WHERE `+where, micro(before)).Scan(count); err != nil {
			return fmt.Errorf("store: expire requests: %w", err)
		}
		return nil
	}
	res, err := s.w.ExecContext(ctx, `UPDATE requests SET status = 'expired', decided_by = 'schoolgate', decided_at = $2,
		decision_reason = 'no decision within retention.pending_requests' WHERE `+where, micro(before), micro(now))
	if err != nil {
		return fmt.Errorf("store: expire requests: %w", err)
	}
	*count, _ = res.RowsAffected()
	return nil
}

// RunRetention purges now and then every interval (default an hour) until
// ctx ends, with the retention periods of the policy in force.
func (s *Store) RunRetention(ctx context.Context, retention func() config.Retention, interval time.Duration, log *slog.Logger) error {
	if interval <= 0 {
		interval = time.Hour
	}
	if log == nil {
		log = s.log
	}
	every(ctx, interval, func() {
		if !s.Reachable() {
			return // the database does not answer: the next run catches up
		}
		rep, err := s.Purge(ctx, Actor{Name: "schoolgate", From: "retention"}, retention(), s.now(), false)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			log.Error("retention purge failed", "err", err)
		case rep.Total() > 0:
			log.Info("retention purge", "activity", rep.Activity, "dns_events", rep.DNSEvents, "hourly", rep.Hourly,
				"requests", rep.Requests, "overrides", rep.Overrides, "expired_requests", rep.Expired, "concerns", rep.Concerns,
				"incidents", rep.Incidents, "incidents_kept_without_birth_date", rep.IncidentsFlagged, "alerts", rep.Alerts)
		}
	})
	return nil
}

// every runs f now and then every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		f()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
