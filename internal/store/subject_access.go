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

// Subject-access request statuses.
const (
	SubjectOpen     = "open"
	SubjectReleased = "released"
)

// SubjectRequest is a person's request for the data held about them.
type SubjectRequest struct {
	ID         int64     `json:"id"`
	Site       string    `json:"site"`
	Username   string    `json:"username"`
	ReceivedAt time.Time `json:"received_at"`
	DueAt      time.Time `json:"due_at"`
	LoggedBy   string    `json:"logged_by"`
	Status     string    `json:"status"`
	ReleasedAt time.Time `json:"released_at,omitzero"`
	ReleasedBy string    `json:"released_by,omitempty"`
}

// Withholding is an item kept out of an export under an exemption.
type Withholding struct {
	Item      string    `json:"item"`
	Exemption string    `json:"exemption"`
	Reason    string    `json:"reason"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

const subjectCols = `id, site, username, received_at, due_at, logged_by, status, released_at, released_by`

func scanSubject(sc rowScanner) (SubjectRequest, error) {
	var r SubjectRequest
	var recv, due, rel int64
	if err := sc.Scan(&r.ID, &r.Site, &r.Username, &recv, &due, &r.LoggedBy, &r.Status, &rel, &r.ReleasedBy); err != nil {
		return r, err
	}
	r.ReceivedAt, r.DueAt = fromMicro(recv), fromMicro(due)
	if rel != 0 {
		r.ReleasedAt = fromMicro(rel)
	}
	return r, nil
}

func subjectObject(id int64) string { return "subject-request:" + strconv.FormatInt(id, 10) }

// CreateSubjectRequest logs a request received at receivedAt, due one
// calendar month later.
func (s *Store) CreateSubjectRequest(ctx context.Context, by Actor, site, username string, receivedAt time.Time) (SubjectRequest, error) {
	if _, err := siteFor(site); err != nil {
		return SubjectRequest{}, err
	}
	r := SubjectRequest{Site: site, Username: username, ReceivedAt: receivedAt.Truncate(time.Microsecond).UTC(), LoggedBy: by.Name, Status: SubjectOpen}
	r.DueAt = r.ReceivedAt.AddDate(0, 1, 0)
	err := s.write(ctx, by, func(t *tx) error {
		if err := t.QueryRowContext(ctx, `INSERT INTO subject_requests (site, username, received_at, due_at, logged_by, status) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			r.Site, r.Username, micro(r.ReceivedAt), micro(r.DueAt), r.LoggedBy, r.Status).Scan(&r.ID); err != nil {
			return fmt.Errorf("store: subject request: %w", err)
		}
		t.audit("subject.request", subjectObject(r.ID), nil, map[string]string{"user": username, "due": r.DueAt.Format(time.DateOnly)})
		return nil
	})
	return r, err
}

// GetSubjectRequest returns one request of site (another site's is
// ErrNotFound).
func (s *Store) GetSubjectRequest(ctx context.Context, site string, id int64) (SubjectRequest, error) {
	r, err := scanSubject(s.r.QueryRowContext(ctx, `SELECT `+subjectCols+` FROM subject_requests WHERE id = $1 AND (site = $2 OR $2 = '*')`, id, site))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("store: subject request %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("store: subject request %d: %w", id, err)
	}
	return r, nil
}

// ListSubjectRequests returns site's requests, open ones first by due date.
func (s *Store) ListSubjectRequests(ctx context.Context, site string) ([]SubjectRequest, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+subjectCols+` FROM subject_requests WHERE (site = $1 OR $1 = '*')
		ORDER BY CASE status WHEN 'open' THEN 0 ELSE 1 END, due_at, id`, site)
	if err != nil {
		return nil, fmt.Errorf("store: subject requests: %w", err)
	}
	defer rows.Close()
	var out []SubjectRequest
	for rows.Next() {
		r, err := scanSubject(rows)
		if err != nil {
			return nil, fmt.Errorf("store: subject requests: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// WithholdSubjectItem keeps an item out of a request's export, with the
// exemption and reason (the audit record has both, not the item's
// content).
func (s *Store) WithholdSubjectItem(ctx context.Context, by Actor, site string, id int64, w Withholding) error {
	if w.Item == "" || w.Exemption == "" || strings.TrimSpace(w.Reason) == "" {
		return fmt.Errorf("store: %w: withholding needs the item, the exemption and a reason", ErrInvalid)
	}
	return s.write(ctx, by, func(t *tx) error {
		var status string
		err := t.QueryRowContext(ctx, `SELECT status FROM subject_requests WHERE id = $1 AND (site = $2 OR $2 = '*')`, id, site).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: subject request %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: subject request %d: %w", id, err)
		}
		if status != SubjectOpen {
			return fmt.Errorf("store: %w: subject request %d was released", ErrInvalid, id)
		}
		var dup int
		err = t.QueryRowContext(ctx, `SELECT 1 FROM subject_withheld WHERE request_id = $1 AND item = $2`, id, w.Item).Scan(&dup)
		if err == nil {
			return fmt.Errorf("store: %s is already withheld: %w", w.Item, ErrExists)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: subject request %d: %w", id, err)
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO subject_withheld (request_id, item, exemption, reason, by_user, at) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, w.Item, w.Exemption, strings.TrimSpace(w.Reason), by.Name, micro(s.now())); err != nil {
			return fmt.Errorf("store: subject request %d: withhold: %w", id, err)
		}
		t.audit("subject.withhold", subjectObject(id), nil, map[string]string{"item": w.Item, "exemption": w.Exemption, "reason": strings.TrimSpace(w.Reason)})
		return nil
	})
}

// SubjectWithheld returns what was withheld from a request's export.
func (s *Store) SubjectWithheld(ctx context.Context, id int64) ([]Withholding, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT item, exemption, reason, by_user, at FROM subject_withheld WHERE request_id = $1 ORDER BY item`, id)
	if err != nil {
		return nil, fmt.Errorf("store: subject request %d: withheld: %w", id, err)
	}
	defer rows.Close()
	var out []Withholding
	for rows.Next() {
		var w Withholding
		var at int64
		if err := rows.Scan(&w.Item, &w.Exemption, &w.Reason, &w.By, &at); err != nil {
			return nil, fmt.Errorf("store: subject request %d: withheld: %w", id, err)
		}
		w.At = fromMicro(at)
		out = append(out, w)
	}
	return out, rows.Err()
}

// ReleaseSubjectRequest records that the export (items of it, withheld
// counted) went to the person.
func (s *Store) ReleaseSubjectRequest(ctx context.Context, by Actor, site string, id int64, items, withheld int) error {
	return s.write(ctx, by, func(t *tx) error {
		res, err := t.ExecContext(ctx, `UPDATE subject_requests SET status = $1, released_at = $2, released_by = $3 WHERE id = $4 AND (site = $5 OR $5 = '*') AND status = $6`,
			SubjectReleased, micro(s.now()), by.Name, id, site, SubjectOpen)
		if err != nil {
			return fmt.Errorf("store: subject request %d: release: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("store: subject request %d is not open: %w", id, ErrNotFound)
		}
		t.audit("subject.release", subjectObject(id), nil, map[string]int{"items": items, "withheld": withheld})
		return nil
	})
}
