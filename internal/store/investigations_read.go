package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const investigationColumns = `id, site, incident_id, grp, review_date, reason_kind, reason, computer_name, computer_location, opened_by, opened_at,
	state, stopped_at, stopped_by, stop_reason, conclusion, action, concluded_by, concluded_at`

// GetInvestigation returns one investigation of site with its sites,
// screenshots (without bytes), signatures, referrals and copied browsing.
// One of another site is ErrNotFound.
func (s *Store) GetInvestigation(ctx context.Context, site string, id int64) (Investigation, error) {
	var in Investigation
	var opened, stopped, concluded int64
	err := s.r.QueryRowContext(ctx, `SELECT `+investigationColumns+` FROM investigations WHERE id = $1 AND (site = $2 OR $2 = '*')`, id, site).Scan(
		&in.ID, &in.Site, &in.IncidentID, &in.Group, &in.Date, &in.ReasonKind, &in.Reason, &in.ComputerName, &in.ComputerLocation, &in.OpenedBy, &opened,
		&in.State, &stopped, &in.StoppedBy, &in.StopReason, &in.Conclusion, &in.Action, &in.ConcludedBy, &concluded)
	if errors.Is(err, sql.ErrNoRows) {
		return Investigation{}, fmt.Errorf("store: investigation %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Investigation{}, fmt.Errorf("store: investigation %d: %w", id, err)
	}
	in.OpenedAt, in.StoppedAt, in.ConcludedAt = fromMicro(opened), timeOrZero(stopped), timeOrZero(concluded)
	if err := s.investigationChildren(ctx, &in); err != nil {
		return Investigation{}, fmt.Errorf("store: investigation %d: %w", id, err)
	}
	return in, nil
}

// InvestigationOfIncident returns the id of an incident's investigation,
// ErrNotFound when there is none.
func (s *Store) InvestigationOfIncident(ctx context.Context, site string, incident int64) (int64, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT id FROM investigations WHERE (site = $1 OR $1 = '*') AND incident_id = $2`, site, incident).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: investigation of incident %d: %w", incident, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("store: investigation of incident %d: %w", incident, err)
	}
	return id, nil
}

// each runs q (its first two parameters the site and investigation id)
// and scans every row with scan.
func (s *Store) each(ctx context.Context, q string, site string, id int64, scan func(*sql.Rows) error) error {
	rows, err := s.r.QueryContext(ctx, q, site, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Store) investigationChildren(ctx context.Context, in *Investigation) error {
	if err := s.each(ctx, `SELECT id, address, concern_kind, concern, police, added_by, added_at FROM investigation_sites
		WHERE (site = $1 OR $1 = '*') AND investigation_id = $2 ORDER BY id`, in.Site, in.ID, func(r *sql.Rows) error {
		var e InvestigationSite
		var at int64
		if err := r.Scan(&e.ID, &e.Address, &e.ConcernKind, &e.Concern, &e.Police, &e.AddedBy, &at); err != nil {
			return err
		}
		e.AddedAt = fromMicro(at)
		in.Sites = append(in.Sites, e)
		return nil
	}); err != nil {
		return fmt.Errorf("sites: %w", err)
	}
	if err := s.each(ctx, `SELECT id, entry_id, sha256, mime, size, added_by, added_at FROM investigation_screenshots
		WHERE (site = $1 OR $1 = '*') AND investigation_id = $2 ORDER BY id`, in.Site, in.ID, func(r *sql.Rows) error {
		var sh Screenshot
		var at int64
		if err := r.Scan(&sh.ID, &sh.EntryID, &sh.SHA256, &sh.MIME, &sh.Size, &sh.AddedBy, &at); err != nil {
			return err
		}
		sh.AddedAt = fromMicro(at)
		in.Screenshots = append(in.Screenshots, sh)
		return nil
	}); err != nil {
		return fmt.Errorf("screenshots: %w", err)
	}
	if err := s.each(ctx, `SELECT username, name, position, method, address, signed_at FROM investigation_signatures
		WHERE (site = $1 OR $1 = '*') AND investigation_id = $2 ORDER BY id`, in.Site, in.ID, func(r *sql.Rows) error {
		var sg Signature
		var at int64
		if err := r.Scan(&sg.Username, &sg.Name, &sg.Position, &sg.Method, &sg.Address, &at); err != nil {
			return err
		}
		sg.SignedAt = fromMicro(at)
		in.Signatures = append(in.Signatures, sg)
		return nil
	}); err != nil {
		return fmt.Errorf("signatures: %w", err)
	}
	if err := s.each(ctx, `SELECT to_whom, reference, referred_at, recorded_by, recorded_at FROM investigation_referrals
		WHERE (site = $1 OR $1 = '*') AND investigation_id = $2 ORDER BY id`, in.Site, in.ID, func(r *sql.Rows) error {
		var rf Referral
		var at, rec int64
		if err := r.Scan(&rf.To, &rf.Reference, &at, &rf.RecordedBy, &rec); err != nil {
			return err
		}
		rf.ReferredAt, rf.RecordedAt = fromMicro(at), fromMicro(rec)
		in.Referrals = append(in.Referrals, rf)
		return nil
	}); err != nil {
		return fmt.Errorf("referrals: %w", err)
	}
	if err := s.each(ctx, `SELECT at, username, client, host, url, verdict, categories FROM investigation_browsing
		WHERE (site = $1 OR $1 = '*') AND investigation_id = $2 ORDER BY at, id`, in.Site, in.ID, func(r *sql.Rows) error {
		var b BrowsingRow
		var at int64
		if err := r.Scan(&at, &b.User, &b.Client, &b.Host, &b.URL, &b.Verdict, &b.Categories); err != nil {
			return err
		}
		b.At = fromMicro(at)
		in.Browsing = append(in.Browsing, b)
		return nil
	}); err != nil {
		return fmt.Errorf("browsing: %w", err)
	}
	return nil
}
