package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Incident statuses.
const (
	IncidentOpen          = "open"
	IncidentInvestigating = "under-investigation"
	IncidentClosed        = "closed"
)

// Incident is one record of the reporting log, as first written. What
// changed since (corrections, actions, status) is in its entries.
type Incident struct {
	ID         int64
	Site       string
	OccurredAt time.Time
	Category   string
	Summary    string
	// AboutStaff: someone involved holds a role other than pupil or
	// visitor. Set by the domain when the incident is recorded.
	AboutStaff bool
	Status     string
	Outcome    string
	ReportedBy string
	ReportedAt time.Time
	ClosedAt   time.Time // zero while not closed
	People     []IncidentPerson
	// Evidence is copied in with the incident, in the same transaction
	// (CreateIncident only; read it with IncidentEvidenceOf).
	Evidence []IncidentEvidence
}

// IncidentPerson is someone involved: a directory person (Username, with
// their roles when the incident was recorded) or an outsider described.
type IncidentPerson struct {
	Username    string
	Description string
	Roles       string
}

// IncidentEntry is one append-only line of an incident's history.
type IncidentEntry struct {
	ID     int64
	At     time.Time
	By     string
	Kind   string // action, correction, status, referral, note, ... (the domain's words)
	Text   string
	Reason string
	Data   string // JSON the kind defines
}

// IncidentEvidence is something the filter saw, copied into the record.
type IncidentEvidence struct {
	ID      int64
	Kind    string // activity, concern, alert
	Ref     string // the source's id
	Copied  string // JSON: the source as it was when linked
	AddedBy string
	AddedAt time.Time
}

// IncidentFilter selects incidents of one site. The zero value of a
// field does not filter.
type IncidentFilter struct {
	Site string // required
	// Scope is what the reader may see: ScopeAll, ScopePupils (incidents
	// not about staff, plus any they reported) or ScopeReported (only
	// those they reported). Reader is who they are.
	Scope    IncidentScope
	Reader   string
	Status   string
	Category string // as first recorded
	Person   string // a username involved
	From, To time.Time
	Limit    int
}

// IncidentScope limits which incidents a reader's query returns.
type IncidentScope int

// The scopes, widest first. The zero value is the narrowest.
const (
	ScopeReported IncidentScope = iota
	ScopePupils
	ScopeAll
)

// CreateIncident stores a new incident with its people and writes the
// audit record (which names the category and how many people, never the
// summary or who).
func (s *Store) CreateIncident(ctx context.Context, by Actor, in Incident) (Incident, error) {
	if _, err := siteFor(in.Site); err != nil {
		return Incident{}, err
	}
	if in.Site == "" || in.Category == "" || strings.TrimSpace(in.Summary) == "" {
		return Incident{}, fmt.Errorf("store: %w: an incident needs a site, a category and a summary", ErrInvalid)
	}
	in.ReportedBy = by.Name
	in.ReportedAt = s.now().Truncate(time.Microsecond).UTC()
	in.OccurredAt = in.OccurredAt.Truncate(time.Microsecond).UTC()
	in.Status = IncidentOpen
	err := s.write(ctx, by, func(t *tx) error {
		if err := t.QueryRowContext(ctx, `INSERT INTO incidents (site, occurred_at, category, summary, about_staff, status, reported_by, reported_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			in.Site, micro(in.OccurredAt), in.Category, in.Summary, in.AboutStaff, in.Status, in.ReportedBy, micro(in.ReportedAt)).Scan(&in.ID); err != nil {
			return fmt.Errorf("store: incident: %w", err)
		}
		for i, p := range in.People {
			if _, err := t.ExecContext(ctx, `INSERT INTO incident_people (incident_id, position, username, description, roles) VALUES ($1, $2, $3, $4, $5)`,
				in.ID, i, p.Username, p.Description, p.Roles); err != nil {
				return fmt.Errorf("store: incident %d: people: %w", in.ID, err)
			}
		}
		for i, ev := range in.Evidence {
			if ev.Kind == "" || ev.Ref == "" || ev.Copied == "" {
				return fmt.Errorf("store: %w: evidence needs a kind, a reference and its copy", ErrInvalid)
			}
			ev.AddedBy, ev.AddedAt = in.ReportedBy, in.ReportedAt
			if err := t.QueryRowContext(ctx, `INSERT INTO incident_evidence (incident_id, kind, ref, copied, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
				in.ID, ev.Kind, ev.Ref, ev.Copied, ev.AddedBy, micro(ev.AddedAt)).Scan(&ev.ID); err != nil {
				return fmt.Errorf("store: incident %d: evidence: %w", in.ID, err)
			}
			in.Evidence[i] = ev
		}
		t.audit("incident.record", incidentObject(in.ID), nil, map[string]any{"category": in.Category, "people": len(in.People), "about_staff": in.AboutStaff, "evidence": len(in.Evidence)})
		return nil
	})
	if err != nil {
		return Incident{}, err
	}
	return in, nil
}

func incidentObject(id int64) string { return "incident:" + strconv.FormatInt(id, 10) }

const incidentColumns = `id, site, occurred_at, category, summary, about_staff, status, outcome, reported_by, reported_at, closed_at`

func scanIncident(sc interface{ Scan(...any) error }) (Incident, error) {
	var in Incident
	var occurred, reported, closed int64
	if err := sc.Scan(&in.ID, &in.Site, &occurred, &in.Category, &in.Summary, &in.AboutStaff, &in.Status, &in.Outcome,
		&in.ReportedBy, &reported, &closed); err != nil {
		return Incident{}, err
	}
	in.OccurredAt, in.ReportedAt = fromMicro(occurred), fromMicro(reported)
	if closed != 0 {
		in.ClosedAt = fromMicro(closed)
	}
	return in, nil
}

// GetIncident returns one incident of site with its people. An incident
// of another site is ErrNotFound, as if it did not exist.
func (s *Store) GetIncident(ctx context.Context, site string, id int64) (Incident, error) {
	in, err := scanIncident(s.r.QueryRowContext(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = $1 AND (site = $2 OR $2 = '*')`, id, site))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, fmt.Errorf("store: incident %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Incident{}, fmt.Errorf("store: incident %d: %w", id, err)
	}
	in.People, err = s.incidentPeople(ctx, id)
	return in, err
}

func (s *Store) incidentPeople(ctx context.Context, id int64) ([]IncidentPerson, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT username, description, roles FROM incident_people WHERE incident_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("store: incident %d: people: %w", id, err)
	}
	defer rows.Close()
	var out []IncidentPerson
	for rows.Next() {
		var p IncidentPerson
		if err := rows.Scan(&p.Username, &p.Description, &p.Roles); err != nil {
			return nil, fmt.Errorf("store: incident %d: people: %w", id, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ListIncidents returns the incidents the filter selects, newest first,
// with their people.
func (s *Store) ListIncidents(ctx context.Context, f IncidentFilter) ([]Incident, error) {
	if f.Site == "" {
		return nil, fmt.Errorf("store: %w: incidents of which site?", ErrInvalid)
	}
	q := `SELECT ` + incidentColumns + ` FROM incidents WHERE (site = $1 OR $1 = '*')`
	args := []any{f.Site}
	add := func(cond string, v any) {
		args = append(args, v)
		q += " AND " + strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args)))
	}
	switch f.Scope {
	case ScopeAll:
	case ScopePupils:
		args = append(args, false, f.Reader)
		q += fmt.Sprintf(" AND (about_staff = $%d OR reported_by = $%d)", len(args)-1, len(args))
	default:
		add("reported_by = ?", f.Reader)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.Category != "" {
		add("category = ?", f.Category)
	}
	if f.Person != "" {
		add("id IN (SELECT incident_id FROM incident_people WHERE username = ?)", f.Person)
	}
	if !f.From.IsZero() {
		add("occurred_at >= ?", micro(f.From))
	}
	if !f.To.IsZero() {
		add("occurred_at < ?", micro(f.To))
	}
	q += " ORDER BY occurred_at DESC, id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: incidents: %w", err)
	}
	var out []Incident
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: incidents: %w", err)
		}
		out = append(out, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: incidents: %w", err)
	}
	for i := range out {
		if out[i].People, err = s.incidentPeople(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AppendIncidentEntry adds a line to an incident's history. A status
// entry (Kind "status", Text the new status, Data the outcome when
// closing) also moves the incident's status columns, in the same
// transaction.
func (s *Store) AppendIncidentEntry(ctx context.Context, by Actor, site string, id int64, e IncidentEntry) (IncidentEntry, error) {
	if e.Kind == "" {
		return IncidentEntry{}, fmt.Errorf("store: %w: an incident entry needs a kind", ErrInvalid)
	}
	e.At = s.now().Truncate(time.Microsecond).UTC()
	e.By = by.Name
	err := s.write(ctx, by, func(t *tx) error {
		var status string
		err := t.QueryRowContext(ctx, `SELECT status FROM incidents WHERE id = $1 AND (site = $2 OR $2 = '*')`, id, site).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: incident %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: incident %d: %w", id, err)
		}
		if err := t.QueryRowContext(ctx, `INSERT INTO incident_entries (incident_id, at, by_user, kind, text, reason, data) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			id, micro(e.At), e.By, e.Kind, e.Text, e.Reason, e.Data).Scan(&e.ID); err != nil {
			return fmt.Errorf("store: incident %d: entry: %w", id, err)
		}
		if e.Kind == "status" {
			closed := int64(0)
			if e.Text == IncidentClosed {
				closed = micro(e.At)
			}
			if _, err := t.ExecContext(ctx, `UPDATE incidents SET status = $1, outcome = $2, closed_at = $3 WHERE id = $4`, e.Text, e.Data, closed, id); err != nil {
				return fmt.Errorf("store: incident %d: status: %w", id, err)
			}
			t.audit("incident.status", incidentObject(id), map[string]string{"status": status}, map[string]string{"status": e.Text})
			return nil
		}
		t.audit("incident."+e.Kind, incidentObject(id), nil, map[string]int64{"entry": e.ID})
		return nil
	})
	if err != nil {
		return IncidentEntry{}, err
	}
	return e, nil
}

// IncidentEntries returns an incident's history, oldest first.
func (s *Store) IncidentEntries(ctx context.Context, site string, id int64) ([]IncidentEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT e.id, e.at, e.by_user, e.kind, e.text, e.reason, e.data FROM incident_entries e
		JOIN incidents i ON i.id = e.incident_id WHERE e.incident_id = $1 AND (i.site = $2 OR $2 = '*') ORDER BY e.id`, id, site)
	if err != nil {
		return nil, fmt.Errorf("store: incident %d: entries: %w", id, err)
	}
	defer rows.Close()
	var out []IncidentEntry
	for rows.Next() {
		var e IncidentEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.By, &e.Kind, &e.Text, &e.Reason, &e.Data); err != nil {
			return nil, fmt.Errorf("store: incident %d: entries: %w", id, err)
		}
		e.At = fromMicro(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AddIncidentEvidence copies something the filter saw into an incident.
// Linking the same source twice is ErrConflict.
func (s *Store) AddIncidentEvidence(ctx context.Context, by Actor, site string, id int64, ev IncidentEvidence) (IncidentEvidence, error) {
	if ev.Kind == "" || ev.Ref == "" || ev.Copied == "" {
		return IncidentEvidence{}, fmt.Errorf("store: %w: evidence needs a kind, a reference and its copy", ErrInvalid)
	}
	ev.AddedBy = by.Name
	ev.AddedAt = s.now().Truncate(time.Microsecond).UTC()
	err := s.write(ctx, by, func(t *tx) error {
		var one int
		err := t.QueryRowContext(ctx, `SELECT 1 FROM incidents WHERE id = $1 AND (site = $2 OR $2 = '*')`, id, site).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: incident %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: incident %d: %w", id, err)
		}
		var dup int
		err = t.QueryRowContext(ctx, `SELECT 1 FROM incident_evidence WHERE incident_id = $1 AND kind = $2 AND ref = $3`, id, ev.Kind, ev.Ref).Scan(&dup)
		if err == nil {
			return fmt.Errorf("store: incident %d: %s %s is already linked: %w", id, ev.Kind, ev.Ref, ErrExists)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: incident %d: evidence: %w", id, err)
		}
		if err := t.QueryRowContext(ctx, `INSERT INTO incident_evidence (incident_id, kind, ref, copied, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			id, ev.Kind, ev.Ref, ev.Copied, ev.AddedBy, micro(ev.AddedAt)).Scan(&ev.ID); err != nil {
			return fmt.Errorf("store: incident %d: evidence: %w", id, err)
		}
		t.audit("incident.evidence", incidentObject(id), nil, map[string]string{"kind": ev.Kind, "ref": ev.Ref})
		return nil
	})
	if err != nil {
		return IncidentEvidence{}, err
	}
	return ev, nil
}

// IncidentEvidenceOf returns an incident's evidence, oldest first.
func (s *Store) IncidentEvidenceOf(ctx context.Context, site string, id int64) ([]IncidentEvidence, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT v.id, v.kind, v.ref, v.copied, v.added_by, v.added_at FROM incident_evidence v
		JOIN incidents i ON i.id = v.incident_id WHERE v.incident_id = $1 AND (i.site = $2 OR $2 = '*') ORDER BY v.id`, id, site)
	if err != nil {
		return nil, fmt.Errorf("store: incident %d: evidence: %w", id, err)
	}
	defer rows.Close()
	var out []IncidentEvidence
	for rows.Next() {
		var ev IncidentEvidence
		var at int64
		if err := rows.Scan(&ev.ID, &ev.Kind, &ev.Ref, &ev.Copied, &ev.AddedBy, &at); err != nil {
			return nil, fmt.Errorf("store: incident %d: evidence: %w", id, err)
		}
		ev.AddedAt = fromMicro(at)
		out = append(out, ev)
	}
	return out, rows.Err()
}
