package store

import (
	"context"

	"fmt"

	"schoolgate/internal/policy"
)

// The queries behind a subject-access export: everything held about one
// person, each kind in full (the export filters nothing but what the dsl
// withholds). Reading them is audited by the caller, once per export.

// SubjectRequests returns the unblock requests a person made, oldest first.
func (s *Store) SubjectRequests(ctx context.Context, username string) ([]Request, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+requestCols+` FROM requests WHERE username = $1 ORDER BY id`, username)
	if err != nil {
		return nil, fmt.Errorf("store: subject requests: %w", err)
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("store: subject requests: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SubjectOverrides returns the grants, unblocks and suspensions made for
// a person (not for their groups), oldest first.
func (s *Store) SubjectOverrides(ctx context.Context, username string) ([]policy.Override, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+overrideCols+` FROM overrides WHERE username = $1 ORDER BY id`, username)
	if err != nil {
		return nil, fmt.Errorf("store: subject overrides: %w", err)
	}
	defer rows.Close()
	var out []policy.Override
	for rows.Next() {
		o, _, err := scanOverride(rows)
		if err != nil {
			return nil, fmt.Errorf("store: subject overrides: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// SubjectAcceptances returns a person's acceptable-use acceptances.
func (s *Store) SubjectAcceptances(ctx context.Context, username string) ([]Acceptance, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT username, grp, version, accepted_at, client FROM aua_acceptances WHERE username = $1 ORDER BY accepted_at`, username)
	if err != nil {
		return nil, fmt.Errorf("store: subject acceptances: %w", err)
	}
	defer rows.Close()
	var out []Acceptance
	for rows.Next() {
		var a Acceptance
		var at int64
		if err := rows.Scan(&a.User, &a.Group, &a.Version, &at, &a.Client); err != nil {
			return nil, fmt.Errorf("store: subject acceptances: %w", err)
		}
		a.AcceptedAt = fromMicro(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// SubjectConcerns returns the concerns a person raised, oldest first.
func (s *Store) SubjectConcerns(ctx context.Context, username string) ([]Concern, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+concernCols+` FROM concerns WHERE username = $1 ORDER BY id`, username)
	if err != nil {
		return nil, fmt.Errorf("store: subject concerns: %w", err)
	}
	defer rows.Close()
	var out []Concern
	for rows.Next() {
		c, err := scanConcern(rows)
		if err != nil {
			return nil, fmt.Errorf("store: subject concerns: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
