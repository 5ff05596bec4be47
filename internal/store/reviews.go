package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Participant is one person who took part in a review, in the role they
// took part in: a directory person (Username) or, for a governor without
// an account, a name.
type Participant struct {
	Role     string `json:"role"`
	Username string `json:"username,omitempty"`
	Name     string `json:"name,omitempty"`
}

// Review is the annual review of filtering and monitoring (DfE
// standards). Never edited: a correction is a new review naming the one
// it corrects.
type Review struct {
	ID           int64         `json:"id"`
	Site         string        `json:"-"`
	HeldOn       string        `json:"held_on"` // YYYY-MM-DD, site time
	RecordedAt   time.Time     `json:"recorded_at"`
	By           string        `json:"by"`
	Participants []Participant `json:"participants"`
	Reviewed     string        `json:"reviewed"`
	Decisions    string        `json:"decisions"`
	Corrects     int64         `json:"corrects,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	CorrectedBy  int64         `json:"corrected_by,omitempty"`
}

func (r *Review) validate() error {
	if r.Site == "" {
		return fmt.Errorf("store: %w: a review needs its site", ErrInvalid)
	}
	if _, err := time.Parse(time.DateOnly, r.HeldOn); err != nil {
		return fmt.Errorf("store: %w: review date %q (YYYY-MM-DD)", ErrInvalid, r.HeldOn)
	}
	if len(r.Participants) == 0 {
		return fmt.Errorf("store: %w: a review needs its participants", ErrInvalid)
	}
	for _, p := range r.Participants {
		if p.Role == "" || (p.Username == "" && p.Name == "") {
			return fmt.Errorf("store: %w: a participant needs a role and a person", ErrInvalid)
		}
	}
	for _, f := range []struct {
		name, v string
		req     bool
	}{{"reviewed", r.Reviewed, true}, {"decisions", r.Decisions, true}, {"reason", r.Reason, r.Corrects != 0}} {
		if err := textOK(f.name, f.v, f.req); err != nil {
			return err
		}
	}
	return nil
}

// AddReview records a review with its audit record.
func (s *Store) AddReview(ctx context.Context, by Actor, r Review) (Review, error) {
	if _, err := siteFor(r.Site); err != nil {
		return Review{}, err
	}
	r.RecordedAt = s.now().Truncate(time.Microsecond).UTC()
	r.By = by.Name
	r.CorrectedBy = 0
	if err := r.validate(); err != nil {
		return Review{}, err
	}
	parts, err := json.Marshal(r.Participants)
	if err != nil {
		return Review{}, fmt.Errorf("store: review: %w", err)
	}
	err = s.write(ctx, by, func(t *tx) error {
		if r.Corrects != 0 {
			if err := existsIn(ctx, t, "reviews", r.Site, r.Corrects); err != nil {
				return err
			}
		}
		if err := t.QueryRowContext(ctx, `INSERT INTO reviews (site, held_on, recorded_at, by_user, participants, reviewed, decisions, corrects, reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			r.Site, r.HeldOn, micro(r.RecordedAt), r.By, string(parts), r.Reviewed, r.Decisions, r.Corrects, r.Reason).Scan(&r.ID); err != nil {
			return fmt.Errorf("store: review: %w", err)
		}
		t.audit("review.record", "review:"+strconv.FormatInt(r.ID, 10), nil, map[string]any{"site": r.Site, "held_on": r.HeldOn, "participants": r.Participants, "corrects": r.Corrects})
		return nil
	})
	if err != nil {
		return Review{}, err
	}
	return r, nil
}

const reviewCols = `r.id, r.site, r.held_on, r.recorded_at, r.by_user, r.participants, r.reviewed, r.decisions, r.corrects, r.reason,
	COALESCE((SELECT MAX(k.id) FROM reviews k WHERE k.corrects = r.id AND k.site = r.site), 0)`

func scanReview(sc interface{ Scan(...any) error }) (Review, error) {
	var r Review
	var rec int64
	var parts string
	if err := sc.Scan(&r.ID, &r.Site, &r.HeldOn, &rec, &r.By, &parts, &r.Reviewed, &r.Decisions, &r.Corrects, &r.Reason, &r.CorrectedBy); err != nil {
		return r, err
	}
	r.RecordedAt = fromMicro(rec)
	if err := json.Unmarshal([]byte(parts), &r.Participants); err != nil {
		return r, fmt.Errorf("review %d participants: %w", r.ID, err)
	}
	return r, nil
}

// ListReviews returns a site's reviews, latest held first.
func (s *Store) ListReviews(ctx context.Context, site string, limit int) ([]Review, error) {
	q := `SELECT ` + reviewCols + ` FROM reviews r WHERE (r.site = $1 OR $1 = '*') ORDER BY r.held_on DESC, r.id DESC`
	if limit > 0 {
		q += " LIMIT " + strconv.Itoa(limit)
	}
	rows, err := s.r.QueryContext(ctx, q, site)
	if err != nil {
		return nil, fmt.Errorf("store: reviews: %w", err)
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return nil, fmt.Errorf("store: reviews: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastReview is the site's latest review that no later one corrects
// (ErrNotFound: none yet).
func (s *Store) LastReview(ctx context.Context, site string) (Review, error) {
	r, err := scanReview(s.r.QueryRowContext(ctx, `SELECT `+reviewCols+` FROM reviews r WHERE (r.site = $1 OR $1 = '*')
		AND NOT EXISTS (SELECT 1 FROM reviews k WHERE k.corrects = r.id AND k.site = r.site)
		ORDER BY r.held_on DESC, r.id DESC LIMIT 1`, site))
	if errors.Is(err, sql.ErrNoRows) {
		return Review{}, fmt.Errorf("store: last review: %w", ErrNotFound)
	}
	if err != nil {
		return Review{}, fmt.Errorf("store: last review: %w", err)
	}
	return r, nil
}
