package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Concern statuses.
const (
	ConcernOpen   = "open"
	ConcernClosed = "closed"
)

// Concern is a "report a concern" from a block or warning page:
// safeguarding data, so every read of it is audited.
type Concern struct {
	ID         int64     `json:"id"`
	Created    time.Time `json:"created"`
	User       string    `json:"user,omitempty"`
	Client     string    `json:"client,omitempty"`
	Host       string    `json:"host,omitempty"`
	URL        string    `json:"url,omitempty"`
	Categories []string  `json:"categories,omitempty"`
	Text       string    `json:"text"`
	Status     string    `json:"status"`
	// Repeats counts the identical concerns folded into this one (the
	// same person or device, the same Fold, within concernFold of the
	// last); LastSeen is the latest of them.
	Repeats  int64     `json:"repeats,omitempty"`
	LastSeen time.Time `json:"last_seen,omitzero"`
	// Fold is what makes two concerns the same (default: Text); it is
	// not shown.
	Fold string `json:"-"`
	// Site is the school the concern was reported in (the node's).
	Site string `json:"site,omitempty"`
}

// concernFold is how long after the last of them a repeated concern is
// folded into the open one.
const concernFold = time.Hour

// CreateConcern stores a new open concern. A repeat (the same user, or
// the same address when unidentified, and the same Fold, within an hour of
// the last) is folded into the open one: its Repeats and LastSeen are
// bumped, nothing new is stored or audited, and it is returned.
func (s *Store) CreateConcern(ctx context.Context, c Concern) (Concern, error) {
	if c.Site == "" {
		c.Site = DefaultSite
	}
	if _, err := siteFor(c.Site); err != nil {
		return c, err
	}
	by := Actor{Name: c.User, From: c.Client, Site: c.Site}
	if by.Name == "" {
		by.Name = "client:" + c.Client
	}
	if c.Fold == "" {
		c.Fold = c.Text
	}
	now := s.now().Truncate(time.Microsecond).UTC()
	err := s.write(ctx, by, func(t *tx) error {
		var id int64
		err := t.QueryRowContext(ctx, `SELECT id FROM concerns WHERE status = 'open' AND fold = $1 AND last_seen >= $2
			AND username = $3 AND ($3 <> '' OR client = $4) AND site = $5 ORDER BY id LIMIT 1`, c.Fold, micro(now.Add(-concernFold)), c.User, c.Client, c.Site).Scan(&id)
		switch {
		case err == nil:
			if _, err := t.ExecContext(ctx, `UPDATE concerns SET repeats = repeats + 1, last_seen = $1 WHERE id = $2`, micro(now), id); err != nil {
				return fmt.Errorf("store: fold concern %d: %w", id, err)
			}
			c, err = scanConcern(t.QueryRowContext(ctx, `SELECT `+concernCols+` FROM concerns WHERE id = $1`, id))
			if err != nil {
				return fmt.Errorf("store: concern %d: %w", id, err)
			}
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("store: find concern: %w", err)
		}
		c.Created, c.LastSeen, c.Status = now, now, ConcernOpen
		err = t.QueryRowContext(ctx, `INSERT INTO concerns (created, username, client, host, url, categories, text, status, last_seen, fold, site)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $1, $9, $10) RETURNING id`,
			micro(c.Created), c.User, c.Client, c.Host, c.URL, joinList(c.Categories), c.Text, c.Status, c.Fold, c.Site).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("store: insert concern: %w", err)
		}
		// The record says a concern exists, not what it says.
		t.audit("concern.create", "concern:"+strconv.FormatInt(c.ID, 10), nil, map[string]string{"host": c.Host})
		return nil
	})
	return c, err
}

const concernCols = `id, created, username, client, host, url, categories, text, status, repeats, last_seen, site`

func scanConcern(sc rowScanner) (Concern, error) {
	var c Concern
	var created, seen int64
	var cats string
	err := sc.Scan(&c.ID, &created, &c.User, &c.Client, &c.Host, &c.URL, &cats, &c.Text, &c.Status, &c.Repeats, &seen, &c.Site)
	c.Created, c.Categories, c.LastSeen = fromMicro(created), splitList(cats), fromMicro(seen)
	return c, err
}

// GetConcern returns one concern; the read is audited as by's.
func (s *Store) GetConcern(ctx context.Context, by Actor, id int64) (Concern, error) {
	c, err := scanConcern(s.r.QueryRowContext(ctx, `SELECT `+concernCols+` FROM concerns WHERE id = $1 AND (site = $2 OR $2 = '*')`, id, by.scope()))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("store: concern %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("store: concern %d: %w", id, err)
	}
	return c, s.Audit(ctx, by, "concern.read", "concern:"+strconv.FormatInt(id, 10), nil, nil)
}

// ListConcerns returns concerns with the given status ("" for all), newest
// first; the read is audited as by's.
func (s *Store) ListConcerns(ctx context.Context, by Actor, status string) ([]Concern, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+concernCols+` FROM concerns WHERE ($1 = '' OR status = $1) AND (site = $2 OR $2 = '*') ORDER BY id DESC`, status, by.scope())
	if err != nil {
		return nil, fmt.Errorf("store: concerns: %w", err)
	}
	defer rows.Close()
	var out []Concern
	for rows.Next() {
		c, err := scanConcern(rows)
		if err != nil {
			return nil, fmt.Errorf("store: concerns: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: concerns: %w", err)
	}
	return out, s.Audit(ctx, by, "concern.list", "concerns", nil, map[string]any{"status": status, "count": len(out)})
}

// SetConcernStatus closes (or reopens) a concern.
func (s *Store) SetConcernStatus(ctx context.Context, by Actor, id int64, status string) error {
	if status != ConcernOpen && status != ConcernClosed {
		return fmt.Errorf("store: %w: concern status %q (want open or closed)", ErrInvalid, status)
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
		var closed int64
		if status == ConcernClosed {
			closed = micro(s.now())
		}
		if _, err := t.ExecContext(ctx, `UPDATE concerns SET status = $1, closed_at = $2 WHERE id = $3`, status, closed, id); err != nil {
			return fmt.Errorf("store: concern %d: %w", id, err)
		}
		t.audit("concern.status", "concern:"+strconv.FormatInt(id, 10), map[string]string{"status": old}, map[string]string{"status": status})
		return nil
	})
}
