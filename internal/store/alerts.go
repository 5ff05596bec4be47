package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"schoolgate/internal/activity"
)

// Alert states and outcomes.
const (
	AlertNew          = "new"
	AlertAcknowledged = "acknowledged"
	AlertClosed       = "closed"

	OutcomeTrueConcern   = "true-concern"
	OutcomeFalsePositive = "false-positive"
	OutcomeDuplicate     = "duplicate"
)

// AlertOutcomes are the outcomes an alert may be closed with.
var AlertOutcomes = []string{OutcomeTrueConcern, OutcomeFalsePositive, OutcomeDuplicate}

// maxAlertEvents is the most triggering events copied into one alert;
// its count goes on counting.
const maxAlertEvents = 50

// alertSystem is the actor of the changes the rules engine makes.
var alertSystem = Actor{Name: "schoolgate", From: "alerts"}

// Alert is one monitoring alert. User (or Client when unidentified)
// names who it is about: read only under an AlertScope that allows it.
type Alert struct {
	ID             int64     `json:"id"`
	Rule           string    `json:"rule"`
	Title          string    `json:"title"`
	Severity       int       `json:"severity"`
	User           string    `json:"user,omitempty"`
	Client         string    `json:"client,omitempty"`
	Group          string    `json:"group,omitempty"`
	AboutStaff     bool      `json:"about_staff"`
	Circumvention  bool      `json:"circumvention"`
	FirstSeen      time.Time `json:"first_seen"`
	LastSeen       time.Time `json:"last_seen"`
	Count          int64     `json:"count"`
	Status         string    `json:"status"`
	Outcome        string    `json:"outcome,omitempty"`
	Assignee       string    `json:"assignee,omitempty"`
	IncidentID     *int64    `json:"incident_id,omitempty"`
	EscalationStep int       `json:"escalation_step"`
}

// AlertEvent is a triggering event as copied into its alert.
type AlertEvent struct {
	At         time.Time `json:"at"`
	Client     string    `json:"client,omitempty"`
	User       string    `json:"user,omitempty"`
	Groups     []string  `json:"groups,omitempty"`
	Host       string    `json:"host,omitempty"`
	URL        string    `json:"url,omitempty"`
	Categories []string  `json:"categories,omitempty"`
	Verdict    string    `json:"verdict,omitempty"`
	Rule       string    `json:"rule,omitempty"`
	Point      string    `json:"point,omitempty"`
	Search     string    `json:"search,omitempty"`
	Action     string    `json:"action,omitempty"`
}

// AlertEventOf copies an activity event (an illegal category's URL is
// never kept, as in the activity log).
func AlertEventOf(e *activity.Event) AlertEvent {
	u := e.URL
	if e.Illegal {
		u = ""
	}
	return AlertEvent{At: e.Time, Client: clientText(e.Client), User: e.User, Groups: slices.Clone(e.Groups), Host: e.Host, URL: u,
		Categories: slices.Clone(e.Categories), Verdict: e.Verdict, Rule: e.Rule, Point: string(e.Point), Search: e.Search, Action: e.Action}
}

// AlertHit is what the rules engine found: Count events of one rule about
// one subject between First and Last.
type AlertHit struct {
	Site, Rule, Title string
	Severity          int
	// Subject is the username, or "addr:" and the address when
	// unidentified: what folding keys on.
	Subject, User, Client, Group string
	AboutStaff, Circumvention    bool
	First, Last                  time.Time
	Count                        int64
	Events                       []AlertEvent
	EscalateAfter                time.Duration
	// Fold: an open alert of the same rule and subject last seen within
	// it takes the hit instead of a new alert.
	Fold time.Duration
}

// AlertScope is what a reader may see: the site and which alerts.
type AlertScope struct {
	Site                         string
	Pupils, Staff, Circumvention bool
}

func (sc AlertScope) none() bool { return !sc.Pupils && !sc.Staff && !sc.Circumvention }

// scopeWhere filters alerts to the scope; its parameters start at $n.
func scopeWhere(sc AlertScope, n int) (string, []any) {
	return fmt.Sprintf(`(site = $%d OR $%d = '*') AND ((about_staff = 0 AND $%d = 1) OR (about_staff = 1 AND $%d = 1) OR (circumvention = 1 AND $%d = 1))`, n, n, n+1, n+2, n+3),
		[]any{sc.Site, b2i(sc.Pupils), b2i(sc.Staff), b2i(sc.Circumvention)}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RaiseAlert stores a hit: folded into the open alert of the same rule and
// subject last seen within h.Fold (count and last seen grow, events are
// copied up to maxAlertEvents), else a new alert, audited. created says
// which.
func (s *Store) RaiseAlert(ctx context.Context, h AlertHit) (id int64, created bool, err error) {
	if h.Site == "" || h.Rule == "" || h.Subject == "" || h.Count < 1 {
		return 0, false, fmt.Errorf("store: %w: an alert needs a site, rule, subject and count", ErrInvalid)
	}
	err = s.write(ctx, alertSystem, func(t *tx) error {
		var held int64
		err := t.QueryRowContext(ctx, `SELECT id, (SELECT COUNT(*) FROM alert_events WHERE alert_id = alerts.id) FROM alerts
			WHERE site = $1 AND rule = $2 AND subject = $3 AND status <> 'closed' AND last_seen >= $4 ORDER BY id DESC LIMIT 1`,
			h.Site, h.Rule, h.Subject, micro(h.First.Add(-h.Fold))).Scan(&id, &held)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
			err = t.QueryRowContext(ctx, `INSERT INTO alerts (site, rule, title, severity, subject, username, client, grp, about_staff, circumvention,
				first_seen, last_seen, count, status, escalate_after, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'new', $14, $15) RETURNING id`,
				h.Site, h.Rule, h.Title, h.Severity, h.Subject, h.User, h.Client, h.Group, b2i(h.AboutStaff), b2i(h.Circumvention),
				micro(h.First), micro(h.Last), h.Count, int64(h.EscalateAfter/time.Second), micro(s.now())).Scan(&id)
			if err != nil {
				return fmt.Errorf("store: new alert: %w", err)
			}
			t.audit("alert.raise", "alert:"+strconv.FormatInt(id, 10), nil, map[string]any{"rule": h.Rule, "severity": h.Severity, "count": h.Count})
		case err != nil:
			return fmt.Errorf("store: open alert: %w", err)
		default:
			if _, err := t.ExecContext(ctx, `UPDATE alerts SET count = count + $1, last_seen = CASE WHEN last_seen > $2 THEN last_seen ELSE $2 END WHERE id = $3`,
				h.Count, micro(h.Last), id); err != nil {
				return fmt.Errorf("store: alert %d: %w", id, err)
			}
		}
		room := max(0, maxAlertEvents-int(held))
		for _, e := range h.Events[:min(room, len(h.Events))] {
			if _, err := t.ExecContext(ctx, `INSERT INTO alert_events (alert_id, at, client, username, groups, host, url, categories, verdict, rule, point, search, action)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
				id, micro(e.At), e.Client, e.User, joinList(e.Groups), e.Host, e.URL, joinList(e.Categories), e.Verdict, e.Rule, e.Point, e.Search, e.Action); err != nil {
				return fmt.Errorf("store: alert %d events: %w", id, err)
			}
		}
		return nil
	})
	return id, created, err
}

const alertCols = `id, rule, title, severity, username, client, grp, about_staff, circumvention, first_seen, last_seen, count, status, outcome, assignee, incident_id, escalation_step`

func scanAlert(row interface{ Scan(...any) error }) (Alert, error) {
	var a Alert
	var staff, circ int
	var first, last int64
	var inc sql.NullInt64
	err := row.Scan(&a.ID, &a.Rule, &a.Title, &a.Severity, &a.User, &a.Client, &a.Group, &staff, &circ, &first, &last, &a.Count,
		&a.Status, &a.Outcome, &a.Assignee, &inc, &a.EscalationStep)
	a.AboutStaff, a.Circumvention = staff == 1, circ == 1
	a.FirstSeen, a.LastSeen = fromMicro(first), fromMicro(last)
	if inc.Valid {
		a.IncidentID = &inc.Int64
	}
	return a, err
}

// AlertFilter narrows a list of alerts.
type AlertFilter struct {
	Status   string // "" all
	Severity int    // at least this (0 any)
	Rule     string
	Limit    int // default 500
}

// ListAlerts lists the alerts in scope, newest first. The caller audits
// the view of the people it names.
func (s *Store) ListAlerts(ctx context.Context, sc AlertScope, f AlertFilter) ([]Alert, error) {
	if sc.none() {
		return nil, nil
	}
	if f.Limit <= 0 {
		f.Limit = 500
	}
	where, args := scopeWhere(sc, 1)
	args = append(args, f.Status, f.Severity, f.Rule, f.Limit)
	rows, err := s.r.QueryContext(ctx, `SELECT `+alertCols+` FROM alerts WHERE `+where+
		` AND ($5 = '' OR status = $5) AND severity >= $6 AND ($7 = '' OR rule = $7) ORDER BY id DESC LIMIT $8`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: alerts: %w", err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("store: alerts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// CountAlerts counts the alerts in scope with a status ("" all): a
// number, naming nobody.
func (s *Store) CountAlerts(ctx context.Context, sc AlertScope, status string) (int64, error) {
	if sc.none() {
		return 0, nil
	}
	where, args := scopeWhere(sc, 1)
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts WHERE `+where+` AND ($5 = '' OR status = $5)`, append(args, status)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count alerts: %w", err)
	}
	return n, nil
}

// GetAlert returns one alert in scope (ErrNotFound for one out of it).
func (s *Store) GetAlert(ctx context.Context, sc AlertScope, id int64) (Alert, error) {
	if sc.none() {
		return Alert{}, fmt.Errorf("store: alert %d: %w", id, ErrNotFound)
	}
	where, args := scopeWhere(sc, 2)
	a, err := scanAlert(s.r.QueryRowContext(ctx, `SELECT `+alertCols+` FROM alerts WHERE id = $1 AND `+where, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("store: alert %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("store: alert %d: %w", id, err)
	}
	return a, nil
}

// AlertEvents returns an alert's copied events, oldest first (the caller
// has read the alert in scope).
func (s *Store) AlertEvents(ctx context.Context, id int64) ([]AlertEvent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT at, client, username, groups, host, url, categories, verdict, rule, point, search, action
		FROM alert_events WHERE alert_id = $1 ORDER BY at`, id)
	if err != nil {
		return nil, fmt.Errorf("store: alert %d events: %w", id, err)
	}
	defer rows.Close()
	var out []AlertEvent
	for rows.Next() {
		var e AlertEvent
		var at int64
		var groups, cats string
		if err := rows.Scan(&at, &e.Client, &e.User, &groups, &e.Host, &e.URL, &cats, &e.Verdict, &e.Rule, &e.Point, &e.Search, &e.Action); err != nil {
			return nil, fmt.Errorf("store: alert %d events: %w", id, err)
		}
		e.At, e.Groups, e.Categories = fromMicro(at), splitList(groups), splitList(cats)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AlertNote is a note appended to an alert.
type AlertNote struct {
	ID   int64     `json:"id"`
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Text string    `json:"text"`
}

// AlertNotes returns an alert's notes, oldest first.
func (s *Store) AlertNotes(ctx context.Context, id int64) ([]AlertNote, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, at, by_user, text FROM alert_notes WHERE alert_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: alert %d notes: %w", id, err)
	}
	defer rows.Close()
	var out []AlertNote
	for rows.Next() {
		var n AlertNote
		var at int64
		if err := rows.Scan(&n.ID, &at, &n.By, &n.Text); err != nil {
			return nil, fmt.Errorf("store: alert %d notes: %w", id, err)
		}
		n.At = fromMicro(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

// alertChange runs fn on an alert in scope within a write transaction,
// handing it the alert's status as read in that transaction.
func (s *Store) alertChange(ctx context.Context, by Actor, sc AlertScope, id int64, fn func(t *tx, a Alert) error) error {
	return s.write(ctx, by, func(t *tx) error {
		where, args := scopeWhere(sc, 2)
		a, err := scanAlert(t.QueryRowContext(ctx, `SELECT `+alertCols+` FROM alerts WHERE id = $1 AND `+where, append([]any{id}, args...)...))
		if errors.Is(err, sql.ErrNoRows) || sc.none() {
			return fmt.Errorf("store: alert %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: alert %d: %w", id, err)
		}
		return fn(t, a)
	})
}

// ErrAlertState: the alert is not in a state that allows the change.
var ErrAlertState = errors.New("not allowed in the alert's state")

// AckAlert moves a new alert to acknowledged (which stops escalation).
func (s *Store) AckAlert(ctx context.Context, by Actor, sc AlertScope, id int64) error {
	return s.alertChange(ctx, by, sc, id, func(t *tx, a Alert) error {
		if a.Status != AlertNew {
			return fmt.Errorf("store: alert %d is %s: %w", id, a.Status, ErrAlertState)
		}
		if _, err := t.ExecContext(ctx, `UPDATE alerts SET status = 'acknowledged', changed_at = $1 WHERE id = $2`, micro(s.now()), id); err != nil {
			return fmt.Errorf("store: alert %d: %w", id, err)
		}
		t.audit("alert.ack", "alert:"+strconv.FormatInt(id, 10), map[string]string{"status": a.Status}, map[string]string{"status": AlertAcknowledged})
		return nil
	})
}

// CloseAlert closes an alert with an outcome and an optional note.
func (s *Store) CloseAlert(ctx context.Context, by Actor, sc AlertScope, id int64, outcome, note string) error {
	if !slices.Contains(AlertOutcomes, outcome) {
		return fmt.Errorf("store: %w: outcome %q (want %s)", ErrInvalid, outcome, strings.Join(AlertOutcomes, ", "))
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > maxNote {
		return fmt.Errorf("store: %w: the note is longer than %d characters", ErrInvalid, maxNote)
	}
	return s.alertChange(ctx, by, sc, id, func(t *tx, a Alert) error {
		if a.Status == AlertClosed {
			return fmt.Errorf("store: alert %d is closed: %w", id, ErrAlertState)
		}
		if _, err := t.ExecContext(ctx, `UPDATE alerts SET status = 'closed', outcome = $1, changed_at = $2 WHERE id = $3`, outcome, micro(s.now()), id); err != nil {
			return fmt.Errorf("store: alert %d: %w", id, err)
		}
		after := map[string]any{"status": AlertClosed, "outcome": outcome}
		if note != "" {
			nid, err := t.addAlertNote(ctx, id, by.Name, note, s.now())
			if err != nil {
				return err
			}
			after["note"] = nid
		}
		t.audit("alert.close", "alert:"+strconv.FormatInt(id, 10), map[string]string{"status": a.Status}, after)
		return nil
	})
}

// AssignAlert gives an open alert to a person ("" unassigns).
func (s *Store) AssignAlert(ctx context.Context, by Actor, sc AlertScope, id int64, assignee string) error {
	return s.alertChange(ctx, by, sc, id, func(t *tx, a Alert) error {
		if a.Status == AlertClosed {
			return fmt.Errorf("store: alert %d is closed: %w", id, ErrAlertState)
		}
		if _, err := t.ExecContext(ctx, `UPDATE alerts SET assignee = $1, changed_at = $2 WHERE id = $3`, assignee, micro(s.now()), id); err != nil {
			return fmt.Errorf("store: alert %d: %w", id, err)
		}
		t.audit("alert.assign", "alert:"+strconv.FormatInt(id, 10), map[string]string{"assignee": a.Assignee}, map[string]string{"assignee": assignee})
		return nil
	})
}

// LinkAlertIncident records the incident opened from an alert.
func (s *Store) LinkAlertIncident(ctx context.Context, by Actor, sc AlertScope, id, incident int64) error {
	return s.alertChange(ctx, by, sc, id, func(t *tx, a Alert) error {
		if _, err := t.ExecContext(ctx, `UPDATE alerts SET incident_id = $1, changed_at = $2 WHERE id = $3`, incident, micro(s.now()), id); err != nil {
			return fmt.Errorf("store: alert %d: %w", id, err)
		}
		t.audit("alert.incident", "alert:"+strconv.FormatInt(id, 10), nil, map[string]int64{"incident": incident})
		return nil
	})
}

// AddAlertNote appends a note to an alert in scope; the audit record says
// a note was added, not what it says.
func (s *Store) AddAlertNote(ctx context.Context, by Actor, sc AlertScope, id int64, text string) (AlertNote, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return AlertNote{}, fmt.Errorf("store: %w: the note is empty", ErrInvalid)
	}
	if utf8.RuneCountInString(text) > maxNote {
		return AlertNote{}, fmt.Errorf("store: %w: the note is longer than %d characters", ErrInvalid, maxNote)
	}
	n := AlertNote{At: s.now().Truncate(time.Microsecond).UTC(), By: by.Name, Text: text}
	err := s.alertChange(ctx, by, sc, id, func(t *tx, a Alert) error {
		var err error
		if n.ID, err = t.addAlertNote(ctx, id, by.Name, text, n.At); err != nil {
			return err
		}
		t.audit("alert.note", "alert:"+strconv.FormatInt(id, 10), nil, map[string]int64{"note": n.ID})
		return nil
	})
	return n, err
}

func (t *tx) addAlertNote(ctx context.Context, id int64, by, text string, at time.Time) (int64, error) {
	var nid int64
	if err := t.QueryRowContext(ctx, `INSERT INTO alert_notes (alert_id, at, by_user, text) VALUES ($1, $2, $3, $4) RETURNING id`,
		id, micro(at), by, text).Scan(&nid); err != nil {
		return 0, fmt.Errorf("store: note on alert %d: %w", id, err)
	}
	return nid, nil
}

// PendingAlert is an alert still new, as the escalation loop reads it:
// nothing about who it concerns.
type PendingAlert struct {
	ID                 int64
	Site               string
	Severity           int
	Rule, Title, Group string
	RaisedAt           time.Time
	EscalateAfter      time.Duration
	EscalationStep     int
}

// UnacknowledgedAlerts lists the site's alerts in state new raised by
// now, oldest first: the escalation loop's source (an EscalateAfter of 0
// is a rule without escalate_after, which never escalates).
func (s *Store) UnacknowledgedAlerts(ctx context.Context, site string, now time.Time) ([]PendingAlert, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, site, severity, rule, title, grp, first_seen, escalate_after, escalation_step FROM alerts
		WHERE site = $1 AND status = 'new' AND first_seen <= $2 ORDER BY id`, site, micro(now))
	if err != nil {
		return nil, fmt.Errorf("store: unacknowledged alerts: %w", err)
	}
	defer rows.Close()
	var out []PendingAlert
	for rows.Next() {
		var p PendingAlert
		var at, after int64
		if err := rows.Scan(&p.ID, &p.Site, &p.Severity, &p.Rule, &p.Title, &p.Group, &at, &after, &p.EscalationStep); err != nil {
			return nil, fmt.Errorf("store: unacknowledged alerts: %w", err)
		}
		p.RaisedAt, p.EscalateAfter = fromMicro(at), time.Duration(after)*time.Second
		out = append(out, p)
	}
	return out, rows.Err()
}

// MarkAlertEscalated records that an alert's escalation reached step,
// sent to the contacts to, with its audit record.
func (s *Store) MarkAlertEscalated(ctx context.Context, id int64, step int, to []string) error {
	return s.write(ctx, alertSystem, func(t *tx) error {
		var old int
		err := t.QueryRowContext(ctx, `SELECT escalation_step FROM alerts WHERE id = $1`, id).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: alert %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: alert %d: %w", id, err)
		}
		if _, err := t.ExecContext(ctx, `UPDATE alerts SET escalation_step = $1 WHERE id = $2`, step, id); err != nil {
			return fmt.Errorf("store: alert %d: %w", id, err)
		}
		t.audit("alert.escalate", "alert:"+strconv.FormatInt(id, 10), map[string]int{"step": old}, map[string]any{"step": step, "to": to})
		return nil
	})
}

// activityID is the activity table's event id column.
func (s *Store) activityID() string {
	if s.dialect == Postgres {
		return "id"
	}
	return "rowid"
}

// MaxEventID is the id of the newest stored activity event (0: none).
func (s *Store) MaxEventID(ctx context.Context) (int64, error) {
	var v sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT MAX(`+s.activityID()+`) FROM activity`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: newest event: %w", err)
	}
	return v.Int64, nil
}

// NewestEvent is the id and time of the newest stored activity event
// (0 and the zero time: none).
func (s *Store) NewestEvent(ctx context.Context) (int64, time.Time, error) {
	id := s.activityID()
	var n, at int64
	err := s.r.QueryRowContext(ctx, `SELECT `+id+`, at FROM activity ORDER BY `+id+` DESC LIMIT 1`).Scan(&n, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: newest event: %w", err)
	}
	return n, fromMicro(at), nil
}

// EventsAfter calls fn for up to limit stored events of one school (site)
// with ids above after, in id order, and returns the last id read (after
// when none). Each school's alert rules judge its own events only.
func (s *Store) EventsAfter(ctx context.Context, site string, after int64, limit int, fn func(id int64, e *activity.Event) error) (int64, error) {
	if site == "" || site == AllSites {
		return after, fmt.Errorf("store: events after %d: %w", after, ErrNoSite)
	}
	id := s.activityID()
	rows, err := s.r.QueryContext(ctx, `SELECT `+id+`, at, client, username, groups, host, url, categories, verdict, illegal, rule, point, search, action, ref, site
		FROM activity WHERE `+id+` > $1 AND site = $2 ORDER BY `+id+` LIMIT $3`, after, site, limit)
	if err != nil {
		return after, fmt.Errorf("store: events after %d: %w", after, err)
	}
	defer rows.Close()
	last := after
	for rows.Next() {
		var e activity.Event
		var at int64
		var client, groups, cats, point string
		if err := rows.Scan(&last, &at, &client, &e.User, &groups, &e.Host, &e.URL, &cats, &e.Verdict, &e.Illegal, &e.Rule, &point, &e.Search, &e.Action, &e.Ref, &e.Site); err != nil {
			return last, fmt.Errorf("store: events after %d: %w", after, err)
		}
		e.Time, e.Groups, e.Categories, e.Point = fromMicro(at), splitList(groups), splitList(cats), activity.Point(point)
		e.Client, _ = netip.ParseAddr(client)
		if err := fn(last, &e); err != nil {
			return last, err
		}
	}
	return last, rows.Err()
}

// ClaimAlertCursor takes or renews the site's rules lease for holder
// until now+lease, and returns the cursor (the last event id judged).
// ok is false while another holder's lease runs. A site without a cursor
// starts at the newest event: the rules judge what happens from now on.
func (s *Store) ClaimAlertCursor(ctx context.Context, site, holder string, lease time.Duration) (cursor int64, ok bool, err error) {
	now := micro(s.now())
	newest, err := s.MaxEventID(ctx)
	if err != nil {
		return 0, false, err
	}
	w, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("store: alert cursor: %w", err)
	}
	defer w.Rollback()
	if _, err := w.ExecContext(ctx, `INSERT INTO alert_cursor (site, event_id, holder, lease_until) VALUES ($1, $2, '', 0) ON CONFLICT (site) DO NOTHING`, site, newest); err != nil {
		return 0, false, fmt.Errorf("store: alert cursor: %w", err)
	}
	res, err := w.ExecContext(ctx, `UPDATE alert_cursor SET holder = $1, lease_until = $2 WHERE site = $3 AND (holder = $1 OR lease_until < $4)`,
		holder, now+lease.Microseconds(), site, now)
	if err != nil {
		return 0, false, fmt.Errorf("store: alert cursor: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, false, nil
	}
	if err := w.QueryRowContext(ctx, `SELECT event_id FROM alert_cursor WHERE site = $1`, site).Scan(&cursor); err != nil {
		return 0, false, fmt.Errorf("store: alert cursor: %w", err)
	}
	if err := w.Commit(); err != nil {
		return 0, false, fmt.Errorf("store: alert cursor: %w", err)
	}
	return cursor, true, nil
}

// AdvanceAlertCursor moves the site's cursor forward to to, if holder
// still holds the lease (ErrNotFound otherwise).
func (s *Store) AdvanceAlertCursor(ctx context.Context, site, holder string, to int64) error {
	res, err := s.w.ExecContext(ctx, `UPDATE alert_cursor SET event_id = $1 WHERE site = $2 AND holder = $3 AND event_id <= $1`, to, site, holder)
	if err != nil {
		return fmt.Errorf("store: alert cursor: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: alert cursor of %s held by another node: %w", site, ErrNotFound)
	}
	return nil
}
