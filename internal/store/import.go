package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"schoolgate/internal/identity"
)

// ImportSummary says what an import did.
type ImportSummary struct {
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Disabled  int `json:"disabled"`
	// StillDisabled counts users in the file who are disabled (import
	// never re-enables: use `users enable`).
	StillDisabled int `json:"still_disabled"`
	// BirthDates counts the dates of birth set or changed (the values
	// are never in the audit trail).
	BirthDates int `json:"birth_dates,omitempty"`
}

// ImportUsers applies a parsed CSV in one transaction: new users are
// added (without a password), changed ones updated (a field whose column
// the file does not have is kept: an export without groups does not
// clear the groups given by hand); with prune, enabled
// users missing from the file are disabled (not shared class log-ons,
// which the MIS does not know). Passwords are never touched.
// Running it twice changes nothing the second time.
func (s *Store) ImportUsers(ctx context.Context, by Actor, f *identity.ImportFile, prune bool) (ImportSummary, error) {
	var sum ImportSummary
	err := s.write(ctx, by, func(t *tx) error {
		sum = ImportSummary{}
		site := f.Site
		if site == "" {
			site = DefaultSite
		}
		existing := map[string]identity.User{}
		rs, err := t.QueryContext(ctx, `SELECT `+userCols+` FROM users`)
		if err != nil {
			return err
		}
		for rs.Next() {
			u, _, err := scanUser(rs)
			if err != nil {
				rs.Close()
				return err
			}
			existing[u.Username] = u
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		inFile := map[string]bool{}
		for _, r := range f.Rows {
			u := r.User
			if err := CheckUsername(u.Username); err != nil {
				return errors.Join(err, errors.New("the CSV parser let a bad username through"))
			}
			inFile[u.Username] = true
			u.Site = site
			old, ok := existing[u.Username]
			if ok && old.Site != site {
				// Usernames are unique across the trust.
				return fmt.Errorf("store: user %s: %w: the username belongs to another school (%s)", u.Username, ErrExists, old.Site)
			}
			if ok {
				keepAbsent(f, &old, &u)
			}
			switch {
			case !ok:
				if err := t.insertUser(ctx, &u, ""); err != nil {
					return err
				}
				t.audit("user.create", "user:"+u.Username, nil, auditUser(&u))
				sum.Added++
			case sameProfile(&old, &u):
				sum.Unchanged++
			default:
				u.Disabled = old.Disabled
				if err := t.updateUser(ctx, &old, &u); err != nil {
					return err
				}
				sum.Updated++
			}
			if ok && old.Disabled {
				sum.StillDisabled++
			}
		}
		if prune {
			names := make([]string, 0, len(existing))
			for name := range existing {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				old := existing[name]
				// Shared class log-ons are made by hand, not by the MIS.
				if inFile[name] || old.Disabled || old.Shared || old.Site != site {
					continue
				}
				u := old
				u.Disabled = true
				if err := t.updateUser(ctx, &old, &u); err != nil {
					return err
				}
				if err := revokeAPITokens(ctx, t, name); err != nil {
					return err
				}
				sum.Disabled++
			}
		}
		if f.Has("date_of_birth") {
			n, err := t.setBirthDates(ctx, f)
			if err != nil {
				return err
			}
			sum.BirthDates = n
		}
		t.audit("users.import", "users", nil, sum)
		return nil
	})
	return sum, err
}

// keepAbsent copies into u the fields of old whose columns f lacks.
func keepAbsent(f *identity.ImportFile, old, u *identity.User) {
	for _, c := range []struct {
		column   string
		from, to *string
	}{
		{"display_name", &old.DisplayName, &u.DisplayName},
		{"year_group", &old.YearGroup, &u.YearGroup},
		{"email", &old.Email, &u.Email},
	} {
		if !f.Has(c.column) {
			*c.to = *c.from
		}
	}
	if !f.Has("role") {
		u.Roles = slices.Clone(old.Roles)
	}
	if !f.Has("groups") {
		u.Groups = slices.Clone(old.Groups)
	}
}
