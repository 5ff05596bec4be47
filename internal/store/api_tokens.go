package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"schoolgate/internal/identity"
)

// APIToken is a bearer token of the console's JSON API. The token itself
// is shown once when it is made; only its SHA-256 is stored.
type APIToken struct {
	ID       int64     `json:"id"`
	Name     string    `json:"name"`
	Username string    `json:"user"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	LastUsed time.Time `json:"last_used,omitzero"`
	Revoked  time.Time `json:"revoked,omitzero"`
}

// Active says the token is neither revoked nor expired at now.
func (t APIToken) Active(now time.Time) bool {
	return t.Revoked.IsZero() && now.Before(t.Expires)
}

// ErrNoToken: a pupil, a visitor or a disabled person can have no API
// token.
var ErrNoToken = errors.New("cannot have an API token")

const apiTokenCols = `id, name, username, created, expires, last_used, revoked`

// CreateAPIToken stores a token (its SHA-256, hash) for an enabled
// member of staff. Audited.
func (s *Store) CreateAPIToken(ctx context.Context, by Actor, tok APIToken, hash string) (APIToken, error) {
	if hash == "" || tok.Name == "" || tok.Username == "" {
		return tok, fmt.Errorf("store: api token: %w: user, name and token required", ErrInvalid)
	}
	if !tok.Expires.After(tok.Created) {
		return tok, fmt.Errorf("store: api token: %w: it must expire after it is made", ErrInvalid)
	}
	err := s.write(ctx, by, func(t *tx) error {
		u, err := t.getUser(ctx, tok.Username)
		if err != nil {
			return err
		}
		switch {
		case u.Disabled:
			return fmt.Errorf("store: user %s is disabled: %w", u.Username, ErrNoToken)
		case slices.Contains(u.Roles, identity.RolePupil), slices.Contains(u.Roles, identity.RoleVisitor):
			return fmt.Errorf("store: user %s is a pupil or visitor: %w", u.Username, ErrNoToken)
		}
		if err := t.QueryRowContext(ctx, `INSERT INTO api_tokens (token_hash, name, username, created, expires, site)
			VALUES ($1, $2, $3, $4, $5, COALESCE((SELECT site FROM users WHERE username = $3), 'school')) RETURNING id`,
			hash, tok.Name, tok.Username, micro(tok.Created), micro(tok.Expires)).Scan(&tok.ID); err != nil {
			return fmt.Errorf("store: api token: %w", err)
		}
		t.touch(ChangeTokens)
		t.audit("api-token.create", "user:"+tok.Username, nil, map[string]any{"id": tok.ID, "name": tok.Name, "expires": tok.Expires.UTC()})
		return nil
	})
	return tok, err
}

func scanAPIToken(sc rowScanner) (APIToken, error) {
	var t APIToken
	var created, expires, used, revoked int64
	err := sc.Scan(&t.ID, &t.Name, &t.Username, &created, &expires, &used, &revoked)
	t.Created, t.Expires, t.LastUsed, t.Revoked = fromMicro(created), fromMicro(expires), fromMicro(used), fromMicro(revoked)
	return t, err
}

// LookupAPIToken finds a token by its SHA-256, or ErrNotFound. It says
// nothing about expiry or revocation: see Active.
func (s *Store) LookupAPIToken(ctx context.Context, hash string) (APIToken, error) {
	t, err := scanAPIToken(s.r.QueryRowContext(ctx, `SELECT `+apiTokenCols+` FROM api_tokens WHERE token_hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("store: api token: %w", ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("store: api token: %w", err)
	}
	return t, nil
}

// ListAPITokens lists every token, newest first.
//
// scope is a school (its people's tokens) or AllSites.
func (s *Store) ListAPITokens(ctx context.Context, scope string) ([]APIToken, error) {
	cond, args, err := siteScope(scope, "site", 1)
	if err != nil {
		return nil, fmt.Errorf("store: api tokens: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+apiTokenCols+` FROM api_tokens WHERE `+cond+` ORDER BY id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: api tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, fmt.Errorf("store: api tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeAPIToken revokes a token (ErrNotFound for an unknown id; a token
// already revoked stays as it was). Audited.
func (s *Store) RevokeAPIToken(ctx context.Context, by Actor, id int64) error {
	return s.write(ctx, by, func(t *tx) error {
		tok, err := scanAPIToken(t.QueryRowContext(ctx, `SELECT `+apiTokenCols+` FROM api_tokens WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: api token %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: api token %d: %w", id, err)
		}
		if !tok.Revoked.IsZero() {
			return nil
		}
		if _, err := t.ExecContext(ctx, `UPDATE api_tokens SET revoked = $1 WHERE id = $2`, micro(s.now()), id); err != nil {
			return fmt.Errorf("store: api token %d: %w", id, err)
		}
		t.touch(ChangeTokens)
		t.audit("api-token.revoke", "user:"+tok.Username, map[string]any{"id": id, "name": tok.Name}, nil)
		return nil
	})
}

// TouchAPIToken records a token's use at at.
func (s *Store) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE api_tokens SET last_used = $1 WHERE id = $2`, micro(at), id); err != nil {
		return fmt.Errorf("store: api token %d: %w", id, err)
	}
	return nil
}

// revokeAPITokens revokes every live token of a person (in the
// transaction that disables them).
func revokeAPITokens(ctx context.Context, t *tx, username string) error {
	res, err := t.ExecContext(ctx, `UPDATE api_tokens SET revoked = $1 WHERE username = $2 AND revoked = 0`, micro(t.s.now()), username)
	if err != nil {
		return fmt.Errorf("store: revoke api tokens of %s: %w", username, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		t.touch(ChangeTokens)
		t.audit("api-token.revoke", "user:"+username, nil, map[string]string{"tokens": strconv.FormatInt(n, 10), "reason": "disabled"})
	}
	return nil
}
