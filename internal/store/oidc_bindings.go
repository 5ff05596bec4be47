package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// OIDCBound returns the username bound to a provider's subject, or
// ErrNotFound.
func (s *Store) OIDCBound(ctx context.Context, provider, subject string) (string, error) {
	var u string
	err := s.r.QueryRowContext(ctx, `SELECT username FROM oidc_bindings WHERE provider = $1 AND subject = $2`, provider, subject).Scan(&u)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: oidc binding: %w", err)
	}
	return u, nil
}

// BindOIDC binds a person to a provider's subject. A person already
// bound to another subject of that provider is ErrExists: an address that
// moved to someone else must not take the account over.
func (s *Store) BindOIDC(ctx context.Context, by Actor, provider, subject, username string) error {
	return s.write(ctx, by, func(t *tx) error {
		var other string
		err := t.QueryRowContext(ctx, `SELECT subject FROM oidc_bindings WHERE provider = $1 AND username = $2`, provider, username).Scan(&other)
		switch {
		case err == nil && other == subject:
			return nil
		case err == nil:
			return fmt.Errorf("store: %s is bound to another %s account: %w", username, provider, ErrExists)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("store: oidc binding: %w", err)
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO oidc_bindings (provider, subject, username, created) VALUES ($1, $2, $3, $4)`,
			provider, subject, username, micro(s.now())); err != nil {
			return fmt.Errorf("store: oidc binding: %w", err)
		}
		t.audit("user.oidc.bind", "user:"+username, nil, map[string]string{"provider": provider})
		return nil
	})
}

// UsernameByEmail returns the username of the one enabled or disabled
// person with that e-mail address (case-insensitive), or ErrNotFound
// (also when two people share it: no guessing).
func (s *Store) UsernameByEmail(ctx context.Context, email string) (string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT username FROM users WHERE LOWER(email) = LOWER($1) LIMIT 2`, email)
	if err != nil {
		return "", fmt.Errorf("store: user by e-mail: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return "", fmt.Errorf("store: user by e-mail: %w", err)
		}
		names = append(names, n)
	}
	if len(names) != 1 {
		return "", ErrNotFound
	}
	return names[0], rows.Err()
}
