package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ConcernInProgress is a concern someone is dealing with (between open,
// shown as new, and closed).
const ConcernInProgress = "in-progress"

// maxNote is the longest note accepted, in characters.
const maxNote = 4000

// ConcernNote is a note appended to a concern.
type ConcernNote struct {
	ID   int64
	At   time.Time
	By   string
	Text string
}

// AddConcernNote appends a note to a concern; the record says a note was
// added, not what it says.
func (s *Store) AddConcernNote(ctx context.Context, by Actor, id int64, text string) (ConcernNote, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return ConcernNote{}, fmt.Errorf("store: %w: the note is empty", ErrInvalid)
	}
	if utf8.RuneCountInString(text) > maxNote {
		return ConcernNote{}, fmt.Errorf("store: %w: the note is longer than %d characters", ErrInvalid, maxNote)
	}
	n := ConcernNote{At: s.now().Truncate(time.Microsecond).UTC(), By: by.Name, Text: text}
	err := s.write(ctx, by, func(t *tx) error {
		var one int
		err := t.QueryRowContext(ctx, `SELECT 1 FROM concerns WHERE id = $1 AND (site = $2 OR $2 = '*')`, id, by.scope()).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: concern %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: concern %d: %w", id, err)
		}
		if err := t.QueryRowContext(ctx, `INSERT INTO concern_notes (concern_id, at, by_user, text) VALUES ($1, $2, $3, $4) RETURNING id`,
			id, micro(n.At), n.By, n.Text).Scan(&n.ID); err != nil {
			return fmt.Errorf("store: note on concern %d: %w", id, err)
		}
		t.audit("concern.note", "concern:"+strconv.FormatInt(id, 10), nil, map[string]int64{"note": n.ID})
		return nil
	})
	return n, err
}

// ConcernNotes returns a concern's notes, oldest first. The caller has
// audited the read of the concern.
func (s *Store) ConcernNotes(ctx context.Context, id int64) ([]ConcernNote, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, at, by_user, text FROM concern_notes WHERE concern_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: notes of concern %d: %w", id, err)
	}
	defer rows.Close()
	var out []ConcernNote
	for rows.Next() {
		var n ConcernNote
		var at int64
		if err := rows.Scan(&n.ID, &at, &n.By, &n.Text); err != nil {
			return nil, fmt.Errorf("store: notes of concern %d: %w", id, err)
		}
		n.At = fromMicro(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

// SetConcernProgress moves a concern between new (open), in progress and
// closed.
func (s *Store) SetConcernProgress(ctx context.Context, by Actor, id int64, status string) error {
	if status != ConcernInProgress {
		return s.SetConcernStatus(ctx, by, id, status)
	}
	return s.write(ctx, by, func(t *tx) error {
		var old string
		err := t.QueryRowContext(ctx, `SELECT status FROM concerns WHERE id = $1 AND (site = $2 OR $2 = '*')`, id, by.scope()).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: concern %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: concern %d: %w", id, err)
		}
		if _, err := t.ExecContext(ctx, `UPDATE concerns SET status = $1, closed_at = 0 WHERE id = $2`, status, id); err != nil {
			return fmt.Errorf("store: concern %d: %w", id, err)
		}
		t.audit("concern.status", "concern:"+strconv.FormatInt(id, 10), map[string]string{"status": old}, map[string]string{"status": status})
		return nil
	})
}

// CountOpenConcerns counts the concerns not closed (new or in progress):
// a number, naming nobody.
func (s *Store) CountOpenConcerns(ctx context.Context, scope string) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM concerns WHERE status <> 'closed' AND (site = $1 OR $1 = '*')`, scope).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count concerns: %w", err)
	}
	return n, nil
}
