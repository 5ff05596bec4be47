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

// Finding is a problem a check found (a failed check, a self-test
// mismatch), open until someone records how it was resolved. It is
// raised with its check (AddCheck) and resolved once, never edited.
type Finding struct {
	ID         int64     `json:"id"`
	Site       string    `json:"-"`
	RaisedAt   time.Time `json:"raised_at"`
	What       string    `json:"what"`
	CheckID    int64     `json:"check"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	ResolvedBy string    `json:"resolved_by,omitempty"`
	Resolution string    `json:"resolution,omitempty"`
}

// Open says the finding is not resolved.
func (f *Finding) Open() bool { return f.ResolvedAt.IsZero() }

// ErrResolved: the finding was resolved already.
var ErrResolved = errors.New("finding already resolved")

// ResolveFinding records how a site's open finding was resolved, with
// its audit record.
func (s *Store) ResolveFinding(ctx context.Context, by Actor, site string, id int64, how string) (Finding, error) {
	how = strings.TrimSpace(how)
	if err := textOK("resolution", how, true); err != nil {
		return Finding{}, err
	}
	at := s.now().Truncate(time.Microsecond).UTC()
	err := s.write(ctx, by, func(t *tx) error {
		var resolved int64
		err := t.QueryRowContext(ctx, `SELECT resolved_at FROM findings WHERE id = $1 AND (site = $2 OR $2 = '*')`, id, site).Scan(&resolved)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: finding %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: finding %d: %w", id, err)
		}
		if resolved != 0 {
			return fmt.Errorf("store: finding %d: %w", id, ErrResolved)
		}
		if _, err := t.ExecContext(ctx, `UPDATE findings SET resolved_at = $1, resolved_by = $2, resolution = $3 WHERE id = $4 AND resolved_at = 0`,
			micro(at), by.Name, how, id); err != nil {
			return fmt.Errorf("store: finding %d: %w", id, err)
		}
		t.audit("finding.resolve", "finding:"+strconv.FormatInt(id, 10), nil, map[string]any{"site": site})
		return nil
	})
	if err != nil {
		return Finding{}, err
	}
	return s.GetFinding(ctx, site, id)
}

const findingCols = `id, site, raised_at, what, check_id, resolved_at, resolved_by, resolution`

func scanFinding(sc interface{ Scan(...any) error }) (Finding, error) {
	var f Finding
	var raised, resolved int64
	if err := sc.Scan(&f.ID, &f.Site, &raised, &f.What, &f.CheckID, &resolved, &f.ResolvedBy, &f.Resolution); err != nil {
		return f, err
	}
	f.RaisedAt, f.ResolvedAt = fromMicro(raised), fromMicro(resolved)
	return f, nil
}

// GetFinding returns one finding of a site.
func (s *Store) GetFinding(ctx context.Context, site string, id int64) (Finding, error) {
	f, err := scanFinding(s.r.QueryRowContext(ctx, `SELECT `+findingCols+` FROM findings WHERE id = $1 AND (site = $2 OR $2 = '*')`, id, site))
	if errors.Is(err, sql.ErrNoRows) {
		return Finding{}, fmt.Errorf("store: finding %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Finding{}, fmt.Errorf("store: finding %d: %w", id, err)
	}
	return f, nil
}

// FindingFilter selects findings of one site.
type FindingFilter struct {
	Site     string
	OpenOnly bool
	CheckID  int64 // 0: any check
	Limit    int
}

// ListFindings returns a site's findings, newest first.
func (s *Store) ListFindings(ctx context.Context, f FindingFilter) ([]Finding, error) {
	q := `SELECT ` + findingCols + ` FROM findings WHERE (site = $1 OR $1 = '*')`
	args := []any{f.Site}
	if f.OpenOnly {
		q += " AND resolved_at = 0"
	}
	if f.CheckID != 0 {
		args = append(args, f.CheckID)
		q += " AND check_id = $2"
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: findings: %w", err)
	}
	defer rows.Close()
	var out []Finding
	for rows.Next() {
		x, err := scanFinding(rows)
		if err != nil {
			return nil, fmt.Errorf("store: findings: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// CountOpenFindings counts a site's unresolved findings.
func (s *Store) CountOpenFindings(ctx context.Context, site string) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM findings WHERE (site = $1 OR $1 = '*') AND resolved_at = 0`, site).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count findings: %w", err)
	}
	return n, nil
}
