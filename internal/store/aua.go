package store

import (
	"context"
	"fmt"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
)

// Acceptance records that a user accepted a version of the acceptable use
// agreement of one of their groups.
type Acceptance struct {
	User       string    `json:"user"`
	Group      string    `json:"group"`
	Version    string    `json:"version"`
	AcceptedAt time.Time `json:"accepted_at"`
	Client     string    `json:"client,omitempty"`
}

// AcceptAUA records an acceptance (accepting the same version again keeps
// the first record). It is the user's own act: its audit record is theirs.
func (s *Store) AcceptAUA(ctx context.Context, a Acceptance) (Acceptance, error) {
	if a.User == "" || a.Version == "" {
		return a, fmt.Errorf("store: %w: acceptance needs a user and a version", ErrInvalid)
	}
	if a.AcceptedAt.IsZero() {
		a.AcceptedAt = s.now()
	}
	a.AcceptedAt = a.AcceptedAt.Truncate(time.Microsecond).UTC()
	err := s.write(ctx, Actor{Name: a.User, From: a.Client}, func(t *tx) error {
		res, err := t.ExecContext(ctx, `INSERT INTO aua_acceptances (username, grp, version, accepted_at, client)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username, version) DO NOTHING`,
			a.User, a.Group, a.Version, micro(a.AcceptedAt), a.Client)
		if err != nil {
			return fmt.Errorf("store: accept AUA: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			t.audit("aua.accept", "user:"+a.User, nil, a)
		}
		return nil
	})
	return a, err
}

// HasAccepted reports whether user has accepted version.
func (s *Store) HasAccepted(ctx context.Context, user, version string) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM aua_acceptances WHERE username = $1 AND version = $2`, user, version).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: AUA: %w", err)
	}
	return n > 0, nil
}

// ListAcceptances returns the acceptances of version ("" for all), oldest
// first.
func (s *Store) ListAcceptances(ctx context.Context, version string) ([]Acceptance, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT username, grp, version, accepted_at, client FROM aua_acceptances
		WHERE ($1 = '' OR version = $1) ORDER BY accepted_at, username`, version)
	if err != nil {
		return nil, fmt.Errorf("store: AUA: %w", err)
	}
	defer rows.Close()
	var out []Acceptance
	for rows.Next() {
		var a Acceptance
		var at int64
		if err := rows.Scan(&a.User, &a.Group, &a.Version, &at, &a.Client); err != nil {
			return nil, fmt.Errorf("store: AUA: %w", err)
		}
		a.AcceptedAt = fromMicro(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// NotAccepted lists the enabled users in scope and in group (after the
// identity mapping m) who have not accepted version.
func (s *Store) NotAccepted(ctx context.Context, scope string, m config.Identity, group, version string) ([]identity.User, error) {
	users, err := s.ListUsers(ctx, scope)
	if err != nil {
		return nil, err
	}
	accepted := map[string]bool{}
	list, err := s.ListAcceptances(ctx, version)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		accepted[a.User] = true
	}
	var out []identity.User
	for _, u := range users {
		if u.Disabled || accepted[u.Username] {
			continue
		}
		u.Groups = identity.ResolveGroups(u.Groups, u.YearGroup, u.Roles, m)
		for _, g := range u.Groups {
			if g == group {
				out = append(out, u)
				break
			}
		}
	}
	return out, nil
}
