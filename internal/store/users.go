package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"schoolgate/internal/identity"
)

// userAudit is a user as the audit trail records it: never the password
// hash.
type userAudit struct {
	DisplayName string   `json:"display_name,omitempty"`
	Roles       string   `json:"roles,omitempty"`
	YearGroup   string   `json:"year_group,omitempty"`
	Email       string   `json:"email,omitempty"`
	Groups      []string `json:"groups,omitempty"`
	Disabled    bool     `json:"disabled,omitempty"`
	Shared      bool     `json:"shared,omitempty"`
}

func auditUser(u *identity.User) userAudit {
	return userAudit{u.DisplayName, identity.JoinRoles(u.Roles), u.YearGroup, u.Email, u.Groups, u.Disabled, u.Shared}
}

// CheckUsername enforces the username shape: 1 to 64 characters of
// a-z, 0-9, '.', '_', '-' and '@', starting with a letter or digit.
func CheckUsername(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("%w: username must be 1 to 64 characters", ErrInvalid)
	}
	for i, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && strings.ContainsRune("._-@", c)
		if !ok {
			return fmt.Errorf("%w: username %q: only a-z, 0-9 and . _ - @ (not first), lower case", ErrInvalid, name)
		}
	}
	return nil
}

// CreateUser adds a user. hash is an identity.HashPassword result, or ""
// for a user who cannot log in yet.
func (s *Store) CreateUser(ctx context.Context, by Actor, u identity.User, hash string) error {
	if err := CheckUsername(u.Username); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return s.write(ctx, by, func(t *tx) error {
		if _, err := t.getUser(ctx, u.Username); err == nil {
			return fmt.Errorf("store: user %s: %w", u.Username, ErrExists)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := t.insertUser(ctx, &u, hash); err != nil {
			return err
		}
		t.audit("user.create", "user:"+u.Username, nil, auditUser(&u))
		if hash != "" {
			t.audit("user.password", "user:"+u.Username, nil, nil)
		}
		return nil
	})
}

func (t *tx) insertUser(ctx context.Context, u *identity.User, hash string) error {
	if u.Site == "" {
		// A single school's callers (imports, directory sync, set-up)
		// name no site: the person is the school's.
		u.Site = DefaultSite
	}
	if err := CheckPersonSite(u.Site, u.Roles); err != nil {
		return fmt.Errorf("store: user %s: %w", u.Username, err)
	}
	now := micro(t.s.now())
	_, err := t.ExecContext(ctx, `INSERT INTO users (username, display_name, role, year_group, email, groups, password_hash, disabled, shared, created, updated, site)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)`,
		u.Username, u.DisplayName, identity.JoinRoles(u.Roles), u.YearGroup, u.Email, joinList(u.Groups), hash, u.Disabled, u.Shared, now, u.Site)
	if err != nil {
		return fmt.Errorf("store: insert user %s: %w", u.Username, err)
	}
	t.touch(ChangeUsers)
	return nil
}

// UpdateUser replaces a user's profile (not the password, not Disabled).
func (s *Store) UpdateUser(ctx context.Context, by Actor, u identity.User) error {
	return s.write(ctx, by, func(t *tx) error {
		old, err := t.getUser(ctx, u.Username)
		if err != nil {
			return err
		}
		u.Disabled = old.Disabled
		return t.updateUser(ctx, &old, &u)
	})
}

func (t *tx) updateUser(ctx context.Context, old, u *identity.User) error {
	// A person's school is not changed by editing their profile.
	u.Site = old.Site
	if err := CheckPersonSite(u.Site, u.Roles); err != nil {
		return fmt.Errorf("store: user %s: %w", u.Username, err)
	}
	if _, err := t.ExecContext(ctx, `UPDATE users SET display_name = $1, role = $2, year_group = $3, email = $4, groups = $5, shared = $6, disabled = $7, updated = $8 WHERE username = $9`,
		u.DisplayName, identity.JoinRoles(u.Roles), u.YearGroup, u.Email, joinList(u.Groups), u.Shared, u.Disabled, micro(t.s.now()), u.Username); err != nil {
		return fmt.Errorf("store: update user %s: %w", u.Username, err)
	}
	t.touch(ChangeUsers)
	t.audit("user.update", "user:"+u.Username, auditUser(old), auditUser(u))
	return nil
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, by Actor, username, hash string) error {
	return s.write(ctx, by, func(t *tx) error {
		res, err := t.ExecContext(ctx, `UPDATE users SET password_hash = $1, updated = $2 WHERE username = $3`, hash, micro(s.now()), username)
		if err != nil {
			return fmt.Errorf("store: set password %s: %w", username, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: user %s: %w", username, ErrNotFound)
		}
		t.touch(ChangeUsers)
		t.audit("user.password", "user:"+username, nil, nil)
		return nil
	})
}

// SetDisabled disables (or re-enables) a user.
func (s *Store) SetDisabled(ctx context.Context, by Actor, username string, disabled bool) error {
	return s.write(ctx, by, func(t *tx) error {
		old, err := t.getUser(ctx, username)
		if err != nil {
			return err
		}
		if old.Disabled == disabled {
			return nil
		}
		u := old
		u.Disabled = disabled
		if disabled {
			// A disabled person is signed out of the console at once.
			if _, err := endConsoleSessions(ctx, t, username); err != nil {
				return err
			}
			t.touch(ChangeSessions)
			if err := revokeAPITokens(ctx, t, username); err != nil {
				return err
			}
		}
		return t.updateUser(ctx, &old, &u)
	})
}

const userCols = `username, display_name, role, year_group, email, groups, disabled, shared, password_hash, site`

func scanUser(sc rowScanner) (identity.User, string, error) {
	var u identity.User
	var roles, groups, hash string
	err := sc.Scan(&u.Username, &u.DisplayName, &roles, &u.YearGroup, &u.Email, &groups, &u.Disabled, &u.Shared, &hash, &u.Site)
	// The role column holds a sorted, comma-separated list of roles
	// (identity.JoinRoles); a single old value is a list of one. A name
	// outside the fixed set, left by an older version, is dropped: it
	// gives no permission and maps to no group.
	u.Roles, _ = identity.ParseStoredRoles(roles)
	u.Groups = splitList(groups)
	return u, hash, err
}

func userIn(ctx context.Context, q queryer, username string) (identity.User, string, error) {
	u, hash, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = $1`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return u, "", fmt.Errorf("store: user %s: %w", username, ErrNotFound)
	}
	if err != nil {
		return u, "", fmt.Errorf("store: user %s: %w", username, err)
	}
	return u, hash, nil
}

func (t *tx) getUser(ctx context.Context, username string) (identity.User, error) {
	u, _, err := userIn(ctx, t, username)
	return u, err
}

// GetUser returns a user with their explicit groups only (Directory.Lookup
// adds the year-group and role groups).
func (s *Store) GetUser(ctx context.Context, username string) (identity.User, error) {
	u, _, err := userIn(ctx, s.r, username)
	return u, err
}

// userWithHash is for password checks.
func (s *Store) userWithHash(ctx context.Context, username string) (identity.User, string, error) {
	return userIn(ctx, s.r, username)
}

// GetUserIn is GetUser inside a site scope: a person of another school is
// ErrNotFound (trust staff, site "*", are found from every scope that
// names a school they work for: every one).
func (s *Store) GetUserIn(ctx context.Context, scope, username string) (identity.User, error) {
	u, err := s.GetUser(ctx, username)
	if err != nil {
		return u, err
	}
	if scope == "" {
		return identity.User{}, fmt.Errorf("store: user %s: %w", username, ErrNoSite)
	}
	if scope != AllSites && u.Site != scope {
		return identity.User{}, fmt.Errorf("store: user %s: %w", username, ErrNotFound)
	}
	return u, nil
}

// ListUsers returns the users in scope (a site, or AllSites), by username.
// A school's list does not include the trust's staff.
func (s *Store) ListUsers(ctx context.Context, scope string) ([]identity.User, error) {
	cond, args, err := siteScope(scope, "site", 1)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE `+cond+` ORDER BY username`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	var out []identity.User
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// HasPassword reports whether a user can log in (has a password set).
func (s *Store) HasPassword(ctx context.Context, username string) (bool, error) {
	_, hash, err := userIn(ctx, s.r, username)
	return hash != "", err
}

// sameProfile reports whether an import row changes nothing.
func sameProfile(a, b *identity.User) bool {
	return a.DisplayName == b.DisplayName && identity.JoinRoles(a.Roles) == identity.JoinRoles(b.Roles) && a.YearGroup == b.YearGroup &&
		a.Email == b.Email && joinList(a.Groups) == joinList(b.Groups) && a.Shared == b.Shared
}
