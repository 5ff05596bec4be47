package oidcflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
)

// Claims are the ID token claims Schoolgate reads.
type Claims map[string]any

func (c Claims) str(name string) string {
	s, _ := c[name].(string)
	return s
}

func (c Claims) strs(name string) []string {
	switch v := c[name].(type) {
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		return []string{v}
	}
	return nil
}

func (c Claims) verifiedEmail() string {
	if v, ok := c["email_verified"].(bool); ok && v {
		return strings.ToLower(c.str("email"))
	}
	if s, ok := c["email_verified"].(string); ok && s == "true" {
		return strings.ToLower(c.str("email"))
	}
	return ""
}

// subjectKey is the provider's immutable identifier of the person: Entra
// tenant and object ids, Google's subject and hosted domain, else sub.
func subjectKey(p config.OIDCProvider, c Claims) string {
	switch {
	case c.str("tid") != "" && c.str("oid") != "":
		return c.str("tid") + "/" + c.str("oid")
	case p.Name == "google" && c.str("hd") != "":
		return c.str("sub") + "@" + c.str("hd")
	}
	return c.str("sub")
}

// MFA: the provider says the person gave a second factor.
func (c Claims) MFA() bool { return slices.Contains(c.strs("amr"), "mfa") }

// Refusal is a reason a provider sign-in gets no entry, in words for the
// page and the audit record.
type Refusal struct{ Msg string }

func (e *Refusal) Error() string { return e.Msg }

func refuse(format string, a ...any) error { return &Refusal{fmt.Sprintf(format, a...)} }

// Match finds (or, as the policy allows, makes) the directory person
// a provider's account is, binds them to the provider's subject the first
// time, and applies roles_from_groups. by is the audit actor for those
// changes.
func Match(ctx context.Context, st Store, p config.OIDCProvider, claims Claims) (*identity.User, error) {
	subject := subjectKey(p, claims)
	if subject == "" {
		return nil, refuse("the provider gave no subject")
	}
	email := claims.verifiedEmail()
	if len(p.AllowedDomains) > 0 {
		_, domain, _ := strings.Cut(email, "@")
		if email == "" || !slices.ContainsFunc(p.AllowedDomains, func(d string) bool { return strings.EqualFold(d, domain) }) {
			return nil, refuse("that account's verified e-mail address is not in the school's domains")
		}
	}
	if p.HostedDomain != "" && !strings.EqualFold(claims.str("hd"), p.HostedDomain) {
		return nil, refuse("that account is not in the school's Google Workspace")
	}
	username, err := st.Bound(ctx, p.Name, subject)
	switch {
	case err == nil:
	case errors.Is(err, ErrNotFound):
		username, err = candidate(ctx, st, p, claims, email)
		if err != nil {
			return nil, err
		}
		if err := st.Bind(ctx, p.Name, subject, username); errors.Is(err, ErrBoundElsewhere) {
			return nil, refuse("that Schoolgate account is linked to a different %s account", p.Name)
		} else if err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	u, err := st.User(ctx, username)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, refuse("that account is disabled")
	}
	if len(p.RolesFromGroups) > 0 {
		var roles []identity.Role
		for _, g := range claims.strs(p.GroupsClaim) {
			if r, ok := p.RolesFromGroups[g]; ok {
				role, err := identity.ParseRole(r)
				if err == nil && !slices.Contains(roles, role) {
					roles = append(roles, role)
				}
			}
		}
		roles = identity.SortRoles(roles)
		if !slices.Equal(roles, u.Roles) {
			changed := u
			changed.Roles = roles
			if err := st.UpdateUser(ctx, p.Name, changed); err != nil {
				return nil, err
			}
			u.Roles = roles
		}
	}
	return &u, nil
}

// candidate is the directory person an unbound account names: by the
// username claim, else by a verified e-mail address, else (when the
// policy says so) a new pupil or visitor.
func candidate(ctx context.Context, st Store, p config.OIDCProvider, claims Claims, email string) (string, error) {
	name := strings.ToLower(strings.TrimSpace(claims.str(p.UsernameClaim)))
	if p.UsernameClaim == "email" && name != "" && name != email {
		name = "" // an unverified address names nobody
	}
	var tries []string
	if name != "" {
		tries = append(tries, name)
		if local, _, ok := strings.Cut(name, "@"); ok {
			tries = append(tries, local)
		}
	}
	for _, n := range tries {
		if _, err := st.User(ctx, n); err == nil {
			return n, nil
		} else if !errors.Is(err, ErrNotFound) {
			return "", err
		}
	}
	if email != "" {
		if n, err := st.UsernameByEmail(ctx, email); err == nil {
			return n, nil
		} else if !errors.Is(err, ErrNotFound) {
			return "", err
		}
	}
	if p.AutoCreateRole == "" || len(tries) == 0 {
		return "", refuse("that account is not in the school's directory")
	}
	newName := tries[len(tries)-1]
	role, _ := identity.ParseRole(p.AutoCreateRole)
	u := identity.User{Username: newName, DisplayName: claims.str("name"), Email: email, Roles: []identity.Role{role}}
	if err := st.CreateUser(ctx, p.Name, u); errors.Is(err, ErrBadUsername) {
		return "", refuse("that account's name cannot be a Schoolgate username")
	} else if err != nil {
		return "", err
	}
	return newName, nil
}
