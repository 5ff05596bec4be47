package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Investigation states. A stopped review (a police matter) is never
// open again; it can still be signed, referred and concluded, and its
// StoppedAt stays set.
const (
	InvestigationOpen      = "open"
	InvestigationStopped   = "stopped"
	InvestigationConcluded = "concluded"
)

// Investigation errors.
var (
	// ErrReviewStopped: the review is stopped (a police matter): no more
	// sites, screenshots or viewing.
	ErrReviewStopped = errors.New("the review is stopped: a police matter")
	// ErrConcluded: a concluded record is frozen.
	ErrConcluded = errors.New("the record is concluded and cannot change")
	// ErrNotSigned: concluding needs two signatures by two people.
	ErrNotSigned = errors.New("two different reviewers must sign before the record is concluded")
)

// Investigation is one Appendix G record.
type Investigation struct {
	ID               int64
	Site             string
	IncidentID       int64
	Group            string
	Date             string // the form's date (YYYY-MM-DD, site time)
	ReasonKind       string // the domain's reason for investigation
	Reason           string // in the reviewer's words
	ComputerName     string
	ComputerLocation string
	OpenedBy         string
	OpenedAt         time.Time
	State            string
	StoppedAt        time.Time // zero unless stopped
	StoppedBy        string
	StopReason       string
	Conclusion       string
	Action           string
	ConcludedBy      string
	ConcludedAt      time.Time

	Sites       []InvestigationSite
	Screenshots []Screenshot // without their bytes
	Signatures  []Signature
	Referrals   []Referral
	Browsing    []BrowsingRow // copied at conclusion
}

// Stopped says the review was stopped as a police matter.
func (in Investigation) Stopped() bool { return !in.StoppedAt.IsZero() }

// InvestigationSite is a web site address or device reviewed and the
// reason for concern. Police: the concern or the host made it a police
// matter (and stopped the review).
type InvestigationSite struct {
	ID          int64
	Address     string
	ConcernKind string
	Concern     string
	Police      bool
	AddedBy     string
	AddedAt     time.Time
}

// Screenshot is an image attached to a site entry, kept in the database.
type Screenshot struct {
	ID      int64
	EntryID int64
	SHA256  string
	MIME    string
	Size    int64
	AddedBy string
	AddedAt time.Time
	Content []byte // only from InvestigationScreenshot
}

// Signature is a reviewer's signature: who, as what, how they proved it
// was them (password or totp), from where, when.
type Signature struct {
	Username string
	Name     string
	Position string
	Method   string
	Address  string
	SignedAt time.Time
}

// Referral is a matter referred (to the police, CEOP, the IWF, ...).
type Referral struct {
	To         string
	Reference  string
	ReferredAt time.Time
	RecordedBy string
	RecordedAt time.Time
}

// BrowsingRow is one of the investigators' own requests during the
// review, from the activity log.
type BrowsingRow struct {
	At         time.Time
	User       string
	Client     string
	Host       string
	URL        string
	Verdict    string
	Categories string
}

func investigationObject(id int64) string { return "investigation:" + strconv.FormatInt(id, 10) }

// OpenInvestigation stores a new investigation of an incident of the same
// site and moves the incident to under investigation, in one transaction
// with both audit records. In.State may be InvestigationStopped (the
// reason itself is a police matter). An incident already investigated is
// ErrExists; a closed one ErrInvalid.
func (s *Store) OpenInvestigation(ctx context.Context, by Actor, in Investigation) (Investigation, error) {
	if _, err := siteFor(in.Site); err != nil {
		return Investigation{}, err
	}
	if in.Site == "" || in.IncidentID == 0 || in.ReasonKind == "" || in.ComputerName == "" || in.ComputerLocation == "" {
		return Investigation{}, fmt.Errorf("store: %w: an investigation needs a site, an incident, a reason and the review computer", ErrInvalid)
	}
	now := s.now().Truncate(time.Microsecond).UTC()
	in.OpenedBy, in.OpenedAt = by.Name, now
	if in.State != InvestigationStopped {
		in.State = InvestigationOpen
	} else {
		in.StoppedAt, in.StoppedBy = now, by.Name
	}
	err := s.write(ctx, by, func(t *tx) error {
		var status string
		err := t.QueryRowContext(ctx, `SELECT status FROM incidents WHERE id = $1 AND (site = $2 OR $2 = '*')`, in.IncidentID, in.Site).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: incident %d: %w", in.IncidentID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: incident %d: %w", in.IncidentID, err)
		}
		if status == IncidentClosed {
			return fmt.Errorf("store: %w: incident %d is closed", ErrInvalid, in.IncidentID)
		}
		var dup int64
		err = t.QueryRowContext(ctx, `SELECT id FROM investigations WHERE (site = $1 OR $1 = '*') AND incident_id = $2`, in.Site, in.IncidentID).Scan(&dup)
		if err == nil {
			return fmt.Errorf("store: incident %d has investigation %d: %w", in.IncidentID, dup, ErrExists)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: investigation: %w", err)
		}
		if err := t.QueryRowContext(ctx, `INSERT INTO investigations (site, incident_id, grp, review_date, reason_kind, reason, computer_name, computer_location,
			opened_by, opened_at, state, stopped_at, stopped_by, stop_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			in.Site, in.IncidentID, in.Group, in.Date, in.ReasonKind, in.Reason, in.ComputerName, in.ComputerLocation,
			in.OpenedBy, micro(in.OpenedAt), in.State, microOrZero(in.StoppedAt), in.StoppedBy, in.StopReason).Scan(&in.ID); err != nil {
			return fmt.Errorf("store: investigation: %w", err)
		}
		t.audit("investigation.open", investigationObject(in.ID), nil, map[string]any{"incident": in.IncidentID, "reason": in.ReasonKind,
			"computer": in.ComputerName, "location": in.ComputerLocation})
		if in.Stopped() {
			t.audit("investigation.stop", investigationObject(in.ID), nil, map[string]string{"why": in.StopReason})
		}
		if status != IncidentInvestigating {
			if _, err := t.ExecContext(ctx, `INSERT INTO incident_entries (incident_id, at, by_user, kind, text, reason, data) VALUES ($1, $2, $3, 'status', $4, '', '')`,
				in.IncidentID, micro(now), by.Name, IncidentInvestigating); err != nil {
				return fmt.Errorf("store: incident %d: status: %w", in.IncidentID, err)
			}
			if _, err := t.ExecContext(ctx, `UPDATE incidents SET status = $1 WHERE id = $2`, IncidentInvestigating, in.IncidentID); err != nil {
				return fmt.Errorf("store: incident %d: status: %w", in.IncidentID, err)
			}
			t.audit("incident.status", incidentObject(in.IncidentID), map[string]string{"status": status}, map[string]string{"status": IncidentInvestigating})
		}
		return nil
	})
	if err != nil {
		return Investigation{}, err
	}
	return in, nil
}

func microOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micro(t)
}

func timeOrZero(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMicro(v)
}

// investigationState reads an investigation's state inside t: its
// stopped time (0: not stopped) and state, ErrNotFound for another site.
// On PostgreSQL the row is locked for the transaction, so that a change
// racing a stop (or a third signature racing the second) waits for it
// and then sees it; SQLite has one writer at a time anyway.
func investigationState(ctx context.Context, t *tx, site string, id int64) (state string, stopped int64, incident int64, err error) {
	q := `SELECT state, stopped_at, incident_id FROM investigations WHERE id = $1 AND (site = $2 OR $2 = '*')`
	if t.s.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	err = t.QueryRowContext(ctx, q, id, site).Scan(&state, &stopped, &incident)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, 0, fmt.Errorf("store: investigation %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", 0, 0, fmt.Errorf("store: investigation %d: %w", id, err)
	}
	return state, stopped, incident, nil
}

// reviewable: sites may be added and screenshots attached or viewed.
func reviewable(id int64, state string, stopped int64) error {
	switch {
	case stopped != 0:
		return fmt.Errorf("store: investigation %d: %w", id, ErrReviewStopped)
	case state == InvestigationConcluded:
		return fmt.Errorf("store: investigation %d: %w", id, ErrConcluded)
	}
	return nil
}

// AddInvestigationSite adds a site or device with its reason for concern.
// A police entry stops the review in the same transaction: from then on
// nothing re-opens it.
func (s *Store) AddInvestigationSite(ctx context.Context, by Actor, site string, id int64, e InvestigationSite, stopReason string) (InvestigationSite, error) {
	if _, err := siteFor(site); err != nil {
		return InvestigationSite{}, err
	}
	if strings.TrimSpace(e.Address) == "" || e.ConcernKind == "" || strings.TrimSpace(e.Concern) == "" {
		return InvestigationSite{}, fmt.Errorf("store: %w: a site entry needs the address, the kind of concern and the reason", ErrInvalid)
	}
	e.AddedBy, e.AddedAt = by.Name, s.now().Truncate(time.Microsecond).UTC()
	err := s.write(ctx, by, func(t *tx) error {
		state, stopped, _, err := investigationState(ctx, t, site, id)
		if err != nil {
			return err
		}
		if err := reviewable(id, state, stopped); err != nil {
			return err
		}
		if err := t.QueryRowContext(ctx, `INSERT INTO investigation_sites (site, investigation_id, address, concern_kind, concern, police, added_by, added_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, site, id, e.Address, e.ConcernKind, e.Concern, e.Police, e.AddedBy, micro(e.AddedAt)).Scan(&e.ID); err != nil {
			return fmt.Errorf("store: investigation %d: site: %w", id, err)
		}
		t.audit("investigation.site", investigationObject(id), nil, map[string]any{"entry": e.ID, "concern": e.ConcernKind, "police": e.Police})
		if e.Police {
			if _, err := t.ExecContext(ctx, `UPDATE investigations SET state = $1, stopped_at = $2, stopped_by = $3, stop_reason = $4 WHERE id = $5 AND (site = $6 OR $6 = '*')`,
				InvestigationStopped, micro(e.AddedAt), by.Name, stopReason, id, site); err != nil {
				return fmt.Errorf("store: investigation %d: stop: %w", id, err)
			}
			t.audit("investigation.stop", investigationObject(id), nil, map[string]any{"entry": e.ID, "why": stopReason})
		}
		return nil
	})
	if err != nil {
		return InvestigationSite{}, err
	}
	return e, nil
}

// AddInvestigationScreenshot stores an image for a site entry, with its
// SHA-256, type and size. Refused once the review is stopped or the
// record concluded.
func (s *Store) AddInvestigationScreenshot(ctx context.Context, by Actor, site string, id, entry int64, mime string, content []byte) (Screenshot, error) {
	if _, err := siteFor(site); err != nil {
		return Screenshot{}, err
	}
	if len(content) == 0 || mime == "" {
		return Screenshot{}, fmt.Errorf("store: %w: an empty screenshot", ErrInvalid)
	}
	sum := sha256.Sum256(content)
	sh := Screenshot{EntryID: entry, SHA256: hex.EncodeToString(sum[:]), MIME: mime, Size: int64(len(content)), AddedBy: by.Name,
		AddedAt: s.now().Truncate(time.Microsecond).UTC()}
	err := s.write(ctx, by, func(t *tx) error {
		state, stopped, _, err := investigationState(ctx, t, site, id)
		if err != nil {
			return err
		}
		if err := reviewable(id, state, stopped); err != nil {
			return err
		}
		var police bool
		err = t.QueryRowContext(ctx, `SELECT police FROM investigation_sites WHERE id = $1 AND investigation_id = $2 AND (site = $3 OR $3 = '*')`, entry, id, site).Scan(&police)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: investigation %d: site entry %d: %w", id, entry, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: investigation %d: site entry %d: %w", id, entry, err)
		}
		if police {
			return fmt.Errorf("store: investigation %d: site entry %d: %w", id, entry, ErrReviewStopped)
		}
		if err := t.QueryRowContext(ctx, `INSERT INTO investigation_screenshots (site, investigation_id, entry_id, content, sha256, mime, size, added_by, added_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, site, id, entry, content, sh.SHA256, sh.MIME, sh.Size, sh.AddedBy, micro(sh.AddedAt)).Scan(&sh.ID); err != nil {
			return fmt.Errorf("store: investigation %d: screenshot: %w", id, err)
		}
		t.audit("investigation.screenshot", investigationObject(id), nil, map[string]any{"screenshot": sh.ID, "entry": entry, "sha256": sh.SHA256, "size": sh.Size, "type": sh.MIME})
		return nil
	})
	if err != nil {
		return Screenshot{}, err
	}
	return sh, nil
}

// InvestigationScreenshot returns one screenshot with its bytes and
// audits the view in the same transaction. Once the review is stopped no
// screenshot is shown again.
func (s *Store) InvestigationScreenshot(ctx context.Context, by Actor, site string, id, shot int64) (Screenshot, error) {
	var sh Screenshot
	err := s.write(ctx, by, func(t *tx) error {
		_, stopped, _, err := investigationState(ctx, t, site, id)
		if err != nil {
			return err
		}
		if stopped != 0 {
			return fmt.Errorf("store: investigation %d: %w", id, ErrReviewStopped)
		}
		var at int64
		err = t.QueryRowContext(ctx, `SELECT id, entry_id, sha256, mime, size, added_by, added_at, content FROM investigation_screenshots
			WHERE id = $1 AND investigation_id = $2 AND (site = $3 OR $3 = '*')`, shot, id, site).Scan(&sh.ID, &sh.EntryID, &sh.SHA256, &sh.MIME, &sh.Size, &sh.AddedBy, &at, &sh.Content)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: investigation %d: screenshot %d: %w", id, shot, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: investigation %d: screenshot %d: %w", id, shot, err)
		}
		sh.AddedAt = fromMicro(at)
		t.audit("investigation.screenshot.view", investigationObject(id), nil, map[string]any{"screenshot": sh.ID, "sha256": sh.SHA256})
		return nil
	})
	if err != nil {
		return Screenshot{}, err
	}
	return sh, nil
}

// SignInvestigation records a reviewer's signature (the domain has
// checked their password or code). The same person twice is ErrExists; a
// third signature or a concluded record is refused.
func (s *Store) SignInvestigation(ctx context.Context, by Actor, site string, id int64, sg Signature) (Signature, error) {
	if _, err := siteFor(site); err != nil {
		return Signature{}, err
	}
	if sg.Username == "" || sg.Method == "" || strings.TrimSpace(sg.Position) == "" {
		return Signature{}, fmt.Errorf("store: %w: a signature needs the person, their position and how they confirmed", ErrInvalid)
	}
	sg.SignedAt = s.now().Truncate(time.Microsecond).UTC()
	err := s.write(ctx, by, func(t *tx) error {
		state, _, _, err := investigationState(ctx, t, site, id)
		if err != nil {
			return err
		}
		if state == InvestigationConcluded {
			return fmt.Errorf("store: investigation %d: %w", id, ErrConcluded)
		}
		var n, mine int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN username = $3 THEN 1 ELSE 0 END), 0) FROM investigation_signatures
			WHERE investigation_id = $1 AND (site = $2 OR $2 = '*')`, id, site, sg.Username).Scan(&n, &mine); err != nil {
			return fmt.Errorf("store: investigation %d: signatures: %w", id, err)
		}
		if mine > 0 {
			return fmt.Errorf("store: investigation %d: %s has signed already: %w", id, sg.Username, ErrExists)
		}
		if n >= 2 {
			return fmt.Errorf("store: %w: investigation %d has its two signatures", ErrInvalid, id)
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO investigation_signatures (site, investigation_id, username, name, position, method, address, signed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, site, id, sg.Username, sg.Name, sg.Position, sg.Method, sg.Address, micro(sg.SignedAt)); err != nil {
			return fmt.Errorf("store: investigation %d: signature: %w", id, err)
		}
		t.audit("investigation.sign", investigationObject(id), nil, map[string]any{"reviewer": n + 1, "user": sg.Username, "position": sg.Position,
			"method": sg.Method, "address": sg.Address, "signed_at": sg.SignedAt.Format(time.RFC3339Nano)})
		return nil
	})
	if err != nil {
		return Signature{}, err
	}
	return sg, nil
}

// RecordInvestigationReferral records a referral on the investigation
// and, as a referral entry, on its incident, in one transaction.
func (s *Store) RecordInvestigationReferral(ctx context.Context, by Actor, site string, id int64, r Referral) (Referral, error) {
	if _, err := siteFor(site); err != nil {
		return Referral{}, err
	}
	if strings.TrimSpace(r.To) == "" || r.ReferredAt.IsZero() {
		return Referral{}, fmt.Errorf("store: %w: a referral needs to whom and when", ErrInvalid)
	}
	r.RecordedBy, r.RecordedAt = by.Name, s.now().Truncate(time.Microsecond).UTC()
	r.ReferredAt = r.ReferredAt.Truncate(time.Microsecond).UTC()
	err := s.write(ctx, by, func(t *tx) error {
		state, _, incident, err := investigationState(ctx, t, site, id)
		if err != nil {
			return err
		}
		if state == InvestigationConcluded {
			return fmt.Errorf("store: investigation %d: %w", id, ErrConcluded)
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO investigation_referrals (site, investigation_id, to_whom, reference, referred_at, recorded_by, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, site, id, r.To, r.Reference, micro(r.ReferredAt), r.RecordedBy, micro(r.RecordedAt)); err != nil {
			return fmt.Errorf("store: investigation %d: referral: %w", id, err)
		}
		data, _ := json.Marshal(map[string]any{"reference": r.Reference, "referred_at": r.ReferredAt.Format(time.RFC3339), "investigation": id})
		var entry int64
		if err := t.QueryRowContext(ctx, `INSERT INTO incident_entries (incident_id, at, by_user, kind, text, reason, data) VALUES ($1, $2, $3, 'referral', $4, '', $5) RETURNING id`,
			incident, micro(r.RecordedAt), by.Name, r.To, string(data)).Scan(&entry); err != nil {
			return fmt.Errorf("store: incident %d: referral: %w", incident, err)
		}
		t.audit("investigation.referral", investigationObject(id), nil, map[string]any{"to": r.To, "reference": r.Reference, "referred_at": r.ReferredAt.Format(time.RFC3339)})
		t.audit("incident.referral", incidentObject(incident), nil, map[string]int64{"entry": entry})
		return nil
	})
	if err != nil {
		return Referral{}, err
	}
	return r, nil
}

// ConcludeInvestigation freezes the record with its conclusion and the
// action proposed or taken, copying in the investigators' browsing. It
// needs two signatures by two people, and a stopped review a referral.
func (s *Store) ConcludeInvestigation(ctx context.Context, by Actor, site string, id int64, conclusion, action string, browsing []BrowsingRow) error {
	if _, err := siteFor(site); err != nil {
		return err
	}
	if strings.TrimSpace(conclusion) == "" || strings.TrimSpace(action) == "" {
		return fmt.Errorf("store: %w: concluding needs the conclusion and the action proposed or taken", ErrInvalid)
	}
	now := s.now().Truncate(time.Microsecond).UTC()
	return s.write(ctx, by, func(t *tx) error {
		state, stopped, _, err := investigationState(ctx, t, site, id)
		if err != nil {
			return err
		}
		if state == InvestigationConcluded {
			return fmt.Errorf("store: investigation %d: %w", id, ErrConcluded)
		}
		var signers, referrals int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(DISTINCT username) FROM investigation_signatures WHERE investigation_id = $1 AND (site = $2 OR $2 = '*')`, id, site).Scan(&signers); err != nil {
			return fmt.Errorf("store: investigation %d: signatures: %w", id, err)
		}
		if signers < 2 {
			return fmt.Errorf("store: investigation %d has %d: %w", id, signers, ErrNotSigned)
		}
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM investigation_referrals WHERE investigation_id = $1 AND (site = $2 OR $2 = '*')`, id, site).Scan(&referrals); err != nil {
			return fmt.Errorf("store: investigation %d: referrals: %w", id, err)
		}
		if stopped != 0 && referrals == 0 {
			return fmt.Errorf("store: %w: investigation %d was stopped as a police matter: record the referral before concluding", ErrInvalid, id)
		}
		for _, b := range browsing {
			if _, err := t.ExecContext(ctx, `INSERT INTO investigation_browsing (site, investigation_id, at, username, client, host, url, verdict, categories)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, site, id, micro(b.At), b.User, b.Client, b.Host, b.URL, b.Verdict, b.Categories); err != nil {
				return fmt.Errorf("store: investigation %d: browsing: %w", id, err)
			}
		}
		if _, err := t.ExecContext(ctx, `UPDATE investigations SET state = $1, conclusion = $2, action = $3, concluded_by = $4, concluded_at = $5 WHERE id = $6 AND (site = $7 OR $7 = '*')`,
			InvestigationConcluded, conclusion, action, by.Name, micro(now), id, site); err != nil {
			return fmt.Errorf("store: investigation %d: conclude: %w", id, err)
		}
		t.audit("investigation.conclude", investigationObject(id), map[string]string{"state": state}, map[string]any{"state": InvestigationConcluded, "browsing": len(browsing)})
		return nil
	})
}
