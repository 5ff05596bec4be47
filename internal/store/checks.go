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

// Check results.
const (
	CheckPass    = "pass"
	CheckFail    = "fail"
	CheckPartial = "partial"
)

// maxCheckText is the longest free-text field of a check, review or
// finding, in characters.
const maxCheckText = 8000

// Check is one filtering or monitoring check: by hand (a person tried
// something on a device) or measured (the self-test). A check is never
// edited: a correction is a new check naming the one it corrects.
type Check struct {
	ID         int64     `json:"id"`
	Site       string    `json:"-"`
	At         time.Time `json:"at"`          // when the check was done
	RecordedAt time.Time `json:"recorded_at"` // when it was written down
	By         string    `json:"by"`
	Target     string    `json:"target"` // the device or network
	Tested     string    `json:"tested"` // what was tested
	Result     string    `json:"result"` // pass, fail or partial
	Actions    string    `json:"actions,omitempty"`
	Measured   bool      `json:"measured"` // the self-test, not a person
	Details    string    `json:"details,omitempty"`
	Corrects   int64     `json:"corrects,omitempty"` // the check this one corrects
	Reason     string    `json:"reason,omitempty"`   // why (a correction)
	// CorrectedBy is the latest check that corrects this one (0: none):
	// read, never written.
	CorrectedBy int64 `json:"corrected_by,omitempty"`
}

// ValidResult says whether r is a check result.
func ValidResult(r string) bool { return r == CheckPass || r == CheckFail || r == CheckPartial }

func textOK(field, v string, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return fmt.Errorf("store: %w: %s is empty", ErrInvalid, field)
	}
	if utf8.RuneCountInString(v) > maxCheckText {
		return fmt.Errorf("store: %w: %s is longer than %d characters", ErrInvalid, field, maxCheckText)
	}
	return nil
}

func (c *Check) validate() error {
	if c.Site == "" {
		return fmt.Errorf("store: %w: a check needs its site", ErrInvalid)
	}
	if c.At.IsZero() {
		return fmt.Errorf("store: %w: a check needs the time it was done", ErrInvalid)
	}
	if !ValidResult(c.Result) {
		return fmt.Errorf("store: %w: result %q (pass, fail or partial)", ErrInvalid, c.Result)
	}
	for _, f := range []struct {
		name, v string
		req     bool
	}{{"target", c.Target, true}, {"tested", c.Tested, true}, {"actions", c.Actions, false}, {"details", c.Details, false}, {"reason", c.Reason, c.Corrects != 0}} {
		if err := textOK(f.name, f.v, f.req); err != nil {
			return err
		}
	}
	return nil
}

// AddCheck records a check and the findings it raises (one per text in
// findings: a failed check, a self-test mismatch), with their audit
// records, in one transaction. A correction (c.Corrects) must name a
// check of the same site.
func (s *Store) AddCheck(ctx context.Context, by Actor, c Check, findings []string) (Check, []Finding, error) {
	if _, err := siteFor(c.Site); err != nil {
		return Check{}, nil, err
	}
	c.RecordedAt = s.now().Truncate(time.Microsecond).UTC()
	c.At = c.At.Truncate(time.Microsecond).UTC()
	c.By = by.Name
	c.CorrectedBy = 0
	if err := c.validate(); err != nil {
		return Check{}, nil, err
	}
	for _, f := range findings {
		if err := textOK("finding", f, true); err != nil {
			return Check{}, nil, err
		}
	}
	var out []Finding
	err := s.write(ctx, by, func(t *tx) error {
		if c.Corrects != 0 {
			if err := existsIn(ctx, t, "checks", c.Site, c.Corrects); err != nil {
				return err
			}
		}
		if err := t.QueryRowContext(ctx, `INSERT INTO checks (site, at, recorded_at, by_user, target, tested, result, actions, measured, details, corrects, reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			c.Site, micro(c.At), micro(c.RecordedAt), c.By, c.Target, c.Tested, c.Result, c.Actions, boolInt(c.Measured), c.Details, c.Corrects, c.Reason).Scan(&c.ID); err != nil {
			return fmt.Errorf("store: check: %w", err)
		}
		t.audit("check.record", "check:"+strconv.FormatInt(c.ID, 10), nil, map[string]any{"site": c.Site, "result": c.Result, "measured": c.Measured, "corrects": c.Corrects})
		for _, what := range findings {
			f := Finding{Site: c.Site, RaisedAt: c.RecordedAt, What: what, CheckID: c.ID}
			if err := t.QueryRowContext(ctx, `INSERT INTO findings (site, raised_at, what, check_id) VALUES ($1, $2, $3, $4) RETURNING id`,
				f.Site, micro(f.RaisedAt), f.What, f.CheckID).Scan(&f.ID); err != nil {
				return fmt.Errorf("store: finding: %w", err)
			}
			t.audit("finding.raise", "finding:"+strconv.FormatInt(f.ID, 10), nil, map[string]any{"site": f.Site, "check": f.CheckID})
			out = append(out, f)
		}
		return nil
	})
	if err != nil {
		return Check{}, nil, err
	}
	return c, out, nil
}

// existsIn checks that table has row id in site (ErrNotFound otherwise).
func existsIn(ctx context.Context, t *tx, table, site string, id int64) error {
	var one int
	err := t.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = $1 AND (site = $2 OR $2 = '*')`, id, site).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s %d: %w", strings.TrimSuffix(table, "s"), id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: %s %d: %w", strings.TrimSuffix(table, "s"), id, err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CheckFilter selects checks of one site.
type CheckFilter struct {
	Site string
	// From and To bound when the checks were done (To exclusive; zero:
	// unbounded).
	From, To time.Time
	// Current leaves out checks a later one corrects.
	Current bool
	Limit   int
}

const checkCols = `c.id, c.site, c.at, c.recorded_at, c.by_user, c.target, c.tested, c.result, c.actions, c.measured, c.details, c.corrects, c.reason,
	COALESCE((SELECT MAX(k.id) FROM checks k WHERE k.corrects = c.id AND k.site = c.site), 0)`

func scanCheck(sc interface{ Scan(...any) error }) (Check, error) {
	var c Check
	var at, rec int64
	var measured int
	if err := sc.Scan(&c.ID, &c.Site, &at, &rec, &c.By, &c.Target, &c.Tested, &c.Result, &c.Actions, &measured, &c.Details, &c.Corrects, &c.Reason, &c.CorrectedBy); err != nil {
		return c, err
	}
	c.At, c.RecordedAt, c.Measured = fromMicro(at), fromMicro(rec), measured != 0
	return c, nil
}

// ListChecks returns a site's checks, newest first. With From and To it
// is the governors' report's query: the checks done in a period, with
// their results (Current: without those corrected since).
func (s *Store) ListChecks(ctx context.Context, f CheckFilter) ([]Check, error) {
	if f.Site == "" {
		return nil, fmt.Errorf("store: %w: checks of which site?", ErrInvalid)
	}
	q := `SELECT ` + checkCols + ` FROM checks c WHERE (c.site = $1 OR $1 = '*')`
	args := []any{f.Site}
	if !f.From.IsZero() {
		args = append(args, micro(f.From))
		q += fmt.Sprintf(" AND c.at >= $%d", len(args))
	}
	if !f.To.IsZero() {
		args = append(args, micro(f.To))
		q += fmt.Sprintf(" AND c.at < $%d", len(args))
	}
	if f.Current {
		q += ` AND NOT EXISTS (SELECT 1 FROM checks k WHERE k.corrects = c.id AND k.site = c.site)`
	}
	q += " ORDER BY c.at DESC, c.id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: checks: %w", err)
	}
	defer rows.Close()
	var out []Check
	for rows.Next() {
		c, err := scanCheck(rows)
		if err != nil {
			return nil, fmt.Errorf("store: checks: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GetCheck returns one check of a site.
func (s *Store) GetCheck(ctx context.Context, site string, id int64) (Check, error) {
	c, err := scanCheck(s.r.QueryRowContext(ctx, `SELECT `+checkCols+` FROM checks c WHERE c.id = $1 AND (c.site = $2 OR $2 = '*')`, id, site))
	if errors.Is(err, sql.ErrNoRows) {
		return Check{}, fmt.Errorf("store: check %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Check{}, fmt.Errorf("store: check %d: %w", id, err)
	}
	return c, nil
}

// CheckCounts are a period's checks by result, for the governors'
// report: counts only, corrected checks left out.
type CheckCounts struct {
	Pass, Fail, Partial int64
	// Measured are the self-test's (of the three above); the rest were
	// recorded by hand.
	Measured int64
}

// CountChecks counts a site's checks done in [from, to) by result,
// leaving out those a later check corrects.
func (s *Store) CountChecks(ctx context.Context, site string, from, to time.Time) (CheckCounts, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT c.result, c.measured, COUNT(*) FROM checks c WHERE (c.site = $1 OR $1 = '*') AND c.at >= $2 AND c.at < $3
		AND NOT EXISTS (SELECT 1 FROM checks k WHERE k.corrects = c.id AND k.site = c.site) GROUP BY c.result, c.measured`, site, micro(from), micro(to))
	if err != nil {
		return CheckCounts{}, fmt.Errorf("store: count checks: %w", err)
	}
	defer rows.Close()
	var out CheckCounts
	for rows.Next() {
		var result string
		var measured int
		var n int64
		if err := rows.Scan(&result, &measured, &n); err != nil {
			return CheckCounts{}, fmt.Errorf("store: count checks: %w", err)
		}
		switch result {
		case CheckPass:
			out.Pass += n
		case CheckFail:
			out.Fail += n
		case CheckPartial:
			out.Partial += n
		}
		if measured != 0 {
			out.Measured += n
		}
	}
	return out, rows.Err()
}
