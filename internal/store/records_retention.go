package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"schoolgate/internal/config"
)

// investigationChildTables hang off an investigation by investigation_id.
var investigationChildTables = []string{"investigation_sites", "investigation_screenshots", "investigation_signatures",
	"investigation_referrals", "investigation_browsing"}

// incidentChildTables hang off an incident by incident_id and go with it
// (after the investigation's own tables).
var incidentChildTables = []string{"sanction_tasks", "sanctions", "investigations", "incident_evidence", "incident_entries", "incident_people"}

// purgeRecords deletes the closed incidents past their retention: about
// staff, StaffIncidents after they were reported; about pupils, once
// every pupil involved is PupilIncidentsAfterBirth old. A closed pupil
// incident with a pupil whose date of birth is unknown (or with no pupil
// named) is kept and counted as flagged. Open incidents are never
// deleted. A zero period keeps records for good.
func (s *Store) purgeRecords(ctx context.Context, r config.Retention, now time.Time, dryRun bool, rep *PurgeReport) error {
	var ids []int64
	if r.StaffIncidents > 0 {
		rows, err := s.r.QueryContext(ctx, `SELECT id FROM incidents WHERE status = 'closed' AND about_staff = $1 AND reported_at < $2`,
			true, micro(now.Add(-r.StaffIncidents.D())))
		if err != nil {
			return fmt.Errorf("store: purge incidents: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("store: purge incidents: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: purge incidents: %w", err)
		}
	}
	pupils, flagged, err := s.pupilIncidentsPastBirthRetention(ctx, r, now)
	if err != nil {
		return err
	}
	rep.IncidentsFlagged = flagged
	ids = append(ids, pupils...)
	rep.Incidents = int64(len(ids))
	if dryRun || len(ids) == 0 {
		return nil
	}
	for _, id := range ids {
		if err := s.deleteIncident(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// pupilIncidentsPastBirthRetention finds the closed incidents about
// pupils whose every pupil is old enough, and counts those kept for want
// of a date of birth.
func (s *Store) pupilIncidentsPastBirthRetention(ctx context.Context, r config.Retention, now time.Time) ([]int64, int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT i.id, COALESCE(p.username, ''), COALESCE(p.roles, ''), COALESCE(b.date_of_birth, '')
		FROM incidents i
		LEFT JOIN incident_people p ON p.incident_id = i.id AND p.username <> ''
		LEFT JOIN birth_dates b ON b.username = p.username
		WHERE i.status = 'closed' AND i.about_staff = $1 ORDER BY i.id`, false)
	if err != nil {
		return nil, 0, fmt.Errorf("store: purge incidents: %w", err)
	}
	defer rows.Close()
	type state struct {
		pupils  int
		missing bool
		latest  time.Time // the youngest pupil's birth
	}
	byID := map[int64]*state{}
	var order []int64
	for rows.Next() {
		var id int64
		var user, roles, dob string
		if err := rows.Scan(&id, &user, &roles, &dob); err != nil {
			return nil, 0, fmt.Errorf("store: purge incidents: %w", err)
		}
		st := byID[id]
		if st == nil {
			st = &state{}
			byID[id] = st
			order = append(order, id)
		}
		if user == "" || !slices.Contains(strings.Split(roles, ","), "pupil") {
			continue
		}
		st.pupils++
		born, err := time.Parse(time.DateOnly, dob)
		if err != nil {
			st.missing = true
			continue
		}
		if born.After(st.latest) {
			st.latest = born
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: purge incidents: %w", err)
	}
	var ids []int64
	var flagged int64
	for _, id := range order {
		st := byID[id]
		if st.pupils == 0 || st.missing {
			flagged++
			continue
		}
		if r.PupilIncidentsAfterBirth > 0 && st.latest.Add(r.PupilIncidentsAfterBirth.D()).Before(now) {
			ids = append(ids, id)
		}
	}
	return ids, flagged, nil
}

// deleteIncident removes one incident and everything hanging off it.
func (s *Store) deleteIncident(ctx context.Context, id int64) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: purge incident: %w", err)
	}
	defer tx.Rollback()
	for _, t := range investigationChildTables {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE investigation_id IN (SELECT id FROM investigations WHERE incident_id = $1)`, id); err != nil {
			return fmt.Errorf("store: purge incident (%s): %w", t, err)
		}
	}
	for _, t := range incidentChildTables {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE incident_id = $1`, id); err != nil {
			return fmt.Errorf("store: purge incident (%s): %w", t, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM incidents WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: purge incident: %w", err)
	}
	return tx.Commit()
}

// purgeAlerts deletes the closed alerts last changed before
// retention.alerts, with their copied events and notes. A zero period
// keeps them for good.
func (s *Store) purgeAlerts(ctx context.Context, r config.Retention, now time.Time, dryRun bool, rep *PurgeReport) error {
	if r.Alerts <= 0 {
		return nil
	}
	before := micro(now.Add(-r.Alerts.D()))
	const where = `status = 'closed' AND changed_at < $1`
	if dryRun {
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts WHERE `+where, before).Scan(&rep.Alerts); err != nil {
			return fmt.Errorf("store: purge alerts: %w", err)
		}
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: purge alerts: %w", err)
	}
	defer tx.Rollback()
	for _, t := range []string{"alert_events", "alert_notes"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE alert_id IN (SELECT id FROM alerts WHERE `+where+`)`, before); err != nil {
			return fmt.Errorf("store: purge %s: %w", t, err)
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM alerts WHERE `+where, before)
	if err != nil {
		return fmt.Errorf("store: purge alerts: %w", err)
	}
	rep.Alerts, _ = res.RowsAffected()
	return tx.Commit()
}
