package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/policy"
)

// Sanction is one action taken about an incident for one person: its
// kind (the policy's sanctions tables name them), details as JSON (who
// was informed and how, the suspension's scope and end, a note), the
// access suspension it made, and its revocation.
type Sanction struct {
	ID           int64
	Site         string
	IncidentID   int64
	Username     string
	Action       string
	Details      string // JSON the action defines
	By           string
	At           time.Time
	OverrideID   int64 // the suspension made (removal of access), else 0
	RevokedAt    time.Time
	RevokedBy    string
	RevokeReason string
}

// Revoked reports whether the sanction was revoked.
func (s Sanction) Revoked() bool { return !s.RevokedAt.IsZero() }

// NewSanction is one sanction to record: the row, the suspension to make
// with it (nil for none) and whether it creates a task for the technical
// staff.
type NewSanction struct {
	Sanction
	Suspension *policy.Override
	Task       bool
}

// SanctionTask is a referral to the technical staff, to act on the
// filtering (listed for them until done, with their notes).
type SanctionTask struct {
	ID         int64
	Site       string
	SanctionID int64
	IncidentID int64
	Username   string // whom the sanction was for
	Details    string // the sanction's details (its note)
	Created    time.Time
	DoneAt     time.Time
	DoneBy     string
	Notes      string
}

func sanctionObject(id int64) string { return "sanction:" + strconv.FormatInt(id, 10) }

// RecordSanctions stores the sanctions of one incident of site, each
// with its suspension (an override, published to every node's filter at
// once) and its task, and their audit records, in one transaction: all
// of them or none.
func (s *Store) RecordSanctions(ctx context.Context, by Actor, site string, incidentID int64, list []NewSanction) ([]Sanction, error) {
	if _, err := siteFor(site); err != nil {
		return nil, err
	}
	if site == "" || len(list) == 0 {
		return nil, fmt.Errorf("store: %w: sanctions need a site and at least one sanction", ErrInvalid)
	}
	now := s.now().Truncate(time.Microsecond).UTC()
	out := make([]Sanction, 0, len(list))
	err := s.write(ctx, by, func(t *tx) error {
		var one int
		err := t.QueryRowContext(ctx, `SELECT 1 FROM incidents WHERE id = $1 AND (site = $2 OR $2 = '*')`, incidentID, site).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: incident %d: %w", incidentID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: incident %d: %w", incidentID, err)
		}
		for _, n := range list {
			sc := n.Sanction
			if sc.Username == "" || sc.Action == "" {
				return fmt.Errorf("store: %w: a sanction needs a person and an action", ErrInvalid)
			}
			if sc.Details == "" {
				sc.Details = "{}"
			}
			sc.Site, sc.IncidentID, sc.By, sc.At = site, incidentID, by.Name, now
			if n.Suspension != nil {
				susp := *n.Suspension
				susp.Site = site // enforced in the sanction's school only
				o, err := t.insertOverride(ctx, susp, 0)
				if err != nil {
					return err
				}
				sc.OverrideID = o.ID
			}
			if err := t.QueryRowContext(ctx, `INSERT INTO sanctions (site, incident_id, username, action, details, by_user, at, override_id)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
				sc.Site, sc.IncidentID, sc.Username, sc.Action, sc.Details, sc.By, micro(sc.At), sc.OverrideID).Scan(&sc.ID); err != nil {
				return fmt.Errorf("store: sanction: %w", err)
			}
			if n.Task {
				if _, err := t.ExecContext(ctx, `INSERT INTO sanction_tasks (site, sanction_id, incident_id, created_at) VALUES ($1, $2, $3, $4)`,
					site, sc.ID, incidentID, micro(now)); err != nil {
					return fmt.Errorf("store: sanction %d: task: %w", sc.ID, err)
				}
			}
			t.audit("sanction.record", sanctionObject(sc.ID), nil, map[string]any{
				"incident": incidentID, "user": sc.Username, "action": sc.Action, "override": sc.OverrideID, "task": n.Task})
			out = append(out, sc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RevokeSanction marks a sanction of site revoked, with the reason, and
// ends its suspension now (when it is still in force), in one
// transaction.
func (s *Store) RevokeSanction(ctx context.Context, by Actor, site string, id int64, reason string) (Sanction, error) {
	if strings.TrimSpace(reason) == "" {
		return Sanction{}, fmt.Errorf("store: %w: revoking a sanction needs a reason", ErrInvalid)
	}
	var sc Sanction
	err := s.write(ctx, by, func(t *tx) error {
		var err error
		if sc, err = getSanction(ctx, t, site, id); err != nil {
			return err
		}
		if sc.Revoked() {
			return fmt.Errorf("store: sanction %d: %w: already revoked", id, ErrInvalid)
		}
		now := t.s.now()
		sc.RevokedAt, sc.RevokedBy, sc.RevokeReason = now.Truncate(time.Microsecond).UTC(), by.Name, reason
		if _, err := t.ExecContext(ctx, `UPDATE sanctions SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 WHERE id = $4 AND (site = $5 OR $5 = '*')`,
			micro(sc.RevokedAt), sc.RevokedBy, reason, id, site); err != nil {
			return fmt.Errorf("store: revoke sanction %d: %w", id, err)
		}
		t.audit("sanction.revoke", sanctionObject(id), map[string]any{"user": sc.Username, "action": sc.Action}, map[string]string{"reason": reason})
		if sc.OverrideID == 0 {
			return nil
		}
		o, revoked, err := getOverride(ctx, t, site, sc.OverrideID)
		if err != nil {
			return err
		}
		if revoked || !o.Until.After(now) {
			return nil // already over
		}
		if _, err := t.ExecContext(ctx, `UPDATE overrides SET revoked_at = $1, revoked_by = $2 WHERE id = $3`, micro(now), by.Name, o.ID); err != nil {
			return fmt.Errorf("store: revoke sanction %d: override: %w", id, err)
		}
		t.audit("override.revoke", "override:"+strconv.FormatInt(o.ID, 10), auditOverride(&o), map[string]string{"reason": "sanction revoked: " + reason})
		return t.touchOverrides(ctx)
	})
	return sc, err
}

const sanctionCols = `id, site, incident_id, username, action, details, by_user, at, override_id, revoked_at, revoked_by, revoke_reason`

func scanSanction(r rowScanner) (Sanction, error) {
	var sc Sanction
	var at, revoked int64
	if err := r.Scan(&sc.ID, &sc.Site, &sc.IncidentID, &sc.Username, &sc.Action, &sc.Details, &sc.By, &at, &sc.OverrideID, &revoked, &sc.RevokedBy, &sc.RevokeReason); err != nil {
		return sc, err
	}
	sc.At = fromMicro(at)
	if revoked != 0 {
		sc.RevokedAt = fromMicro(revoked)
	}
	return sc, nil
}

func getSanction(ctx context.Context, q queryer, site string, id int64) (Sanction, error) {
	sc, err := scanSanction(q.QueryRowContext(ctx, `SELECT `+sanctionCols+` FROM sanctions WHERE id = $1 AND (site = $2 OR $2 = '*')`, id, site))
	if errors.Is(err, sql.ErrNoRows) {
		return sc, fmt.Errorf("store: sanction %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return sc, fmt.Errorf("store: sanction %d: %w", id, err)
	}
	return sc, nil
}

// GetSanction returns one sanction of site (another site's is
// ErrNotFound).
func (s *Store) GetSanction(ctx context.Context, site string, id int64) (Sanction, error) {
	return getSanction(ctx, s.r, site, id)
}

// IncidentSanctions are an incident's sanctions, oldest first.
func (s *Store) IncidentSanctions(ctx context.Context, site string, incidentID int64) ([]Sanction, error) {
	return s.listSanctions(ctx, `WHERE (site = $1 OR $1 = '*') AND incident_id = $2 ORDER BY id`, site, incidentID)
}

// SanctionsOf are a person's sanctions, newest first.
func (s *Store) SanctionsOf(ctx context.Context, site, username string) ([]Sanction, error) {
	return s.listSanctions(ctx, `WHERE (site = $1 OR $1 = '*') AND username = $2 ORDER BY id DESC`, site, username)
}

func (s *Store) listSanctions(ctx context.Context, where string, args ...any) ([]Sanction, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sanctionCols+` FROM sanctions `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: sanctions: %w", err)
	}
	defer rows.Close()
	var out []Sanction
	for rows.Next() {
		sc, err := scanSanction(rows)
		if err != nil {
			return nil, fmt.Errorf("store: sanctions: %w", err)
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

// SanctionCounts counts the sanctions of site recorded in [from, to) by
// action kind (revoked ones too: they were done), for the governors'
// report. A zero to means no end.
func (s *Store) SanctionCounts(ctx context.Context, site string, from, to time.Time) (map[string]int, error) {
	end := int64(1<<63 - 1)
	if !to.IsZero() {
		end = micro(to)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT action, COUNT(*) FROM sanctions WHERE (site = $1 OR $1 = '*') AND at >= $2 AND at < $3 GROUP BY action`,
		site, micro(from), end)
	if err != nil {
		return nil, fmt.Errorf("store: sanction counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var action string
		var n int
		if err := rows.Scan(&action, &n); err != nil {
			return nil, fmt.Errorf("store: sanction counts: %w", err)
		}
		out[action] = n
	}
	return out, rows.Err()
}

// SanctionTasks lists the technical staff's tasks of site, newest first:
// the open ones only, or all.
func (s *Store) SanctionTasks(ctx context.Context, site string, openOnly bool) ([]SanctionTask, error) {
	q := `SELECT t.id, t.site, t.sanction_id, t.incident_id, s.username, s.details, t.created_at, t.done_at, t.done_by, t.notes
		FROM sanction_tasks t JOIN sanctions s ON s.id = t.sanction_id WHERE (t.site = $1 OR $1 = '*')`
	if openOnly {
		q += ` AND t.done_at = 0`
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY t.id DESC`, site)
	if err != nil {
		return nil, fmt.Errorf("store: tasks: %w", err)
	}
	defer rows.Close()
	var out []SanctionTask
	for rows.Next() {
		var k SanctionTask
		var created, done int64
		if err := rows.Scan(&k.ID, &k.Site, &k.SanctionID, &k.IncidentID, &k.Username, &k.Details, &created, &done, &k.DoneBy, &k.Notes); err != nil {
			return nil, fmt.Errorf("store: tasks: %w", err)
		}
		k.Created = fromMicro(created)
		if done != 0 {
			k.DoneAt = fromMicro(done)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// CompleteSanctionTask marks a task of site done, with the technical
// staff's notes on what they did.
func (s *Store) CompleteSanctionTask(ctx context.Context, by Actor, site string, id int64, notes string) error {
	return s.write(ctx, by, func(t *tx) error {
		var done int64
		err := t.QueryRowContext(ctx, `SELECT done_at FROM sanction_tasks WHERE id = $1 AND (site = $2 OR $2 = '*')`, id, site).Scan(&done)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: task %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: task %d: %w", id, err)
		}
		if done != 0 {
			return fmt.Errorf("store: task %d: %w: already done", id, ErrInvalid)
		}
		if _, err := t.ExecContext(ctx, `UPDATE sanction_tasks SET done_at = $1, done_by = $2, notes = $3 WHERE id = $4`,
			micro(t.s.now()), by.Name, notes, id); err != nil {
			return fmt.Errorf("store: task %d: %w", id, err)
		}
		t.audit("sanction-task.done", "sanction-task:"+strconv.FormatInt(id, 10), nil, map[string]string{"notes": notes})
		return nil
	})
}
