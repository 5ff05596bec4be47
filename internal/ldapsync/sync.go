package ldapsync

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// Person is one directory entry as Schoolgate reads it.
type Person struct {
	DN       string
	User     identity.User
	Disabled bool
}

// People reads everyone under the staff and pupil searches (paged), as
// users with the search's role. An entry without a usable username is
// reported and skipped; a person found by both searches keeps the first.
func (c *Client) People(ctx context.Context) ([]Person, []string, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	a := c.cfg.Attributes
	attrs := []string{a.Username, a.DisplayName, a.Groups, a.Email, a.Disabled}
	if a.YearGroup != "" {
		attrs = append(attrs, a.YearGroup)
	}
	var out []Person
	var problems []string
	seen := map[string]bool{}
	for _, s := range c.cfg.Searches() {
		role, err := identity.ParseRole(s.Role)
		if err != nil {
			return nil, nil, err
		}
		res, err := conn.SearchWithPaging(ldap.NewSearchRequest(s.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			s.Filter, attrs, nil), 500)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: search %s: %w", ErrUnavailable, s.BaseDN, err)
		}
		for _, e := range res.Entries {
			name := strings.ToLower(strings.TrimSpace(e.GetAttributeValue(a.Username)))
			if name == "" || store.CheckUsername(name) != nil {
				problems = append(problems, fmt.Sprintf("%s: no usable %s (%q)", e.DN, a.Username, name))
				continue
			}
			if seen[name] {
				continue
			}
			seen[name] = true
			u := identity.User{Username: name, DisplayName: e.GetAttributeValue(a.DisplayName), Email: e.GetAttributeValue(a.Email),
				Roles: []identity.Role{role}}
			if a.YearGroup != "" {
				u.YearGroup = strings.ToUpper(e.GetAttributeValue(a.YearGroup))
			}
			for _, g := range e.GetAttributeValues(a.Groups) {
				if cn := groupName(g); cn != "" && !slices.Contains(u.Groups, cn) {
					u.Groups = append(u.Groups, cn)
				}
			}
			out = append(out, Person{DN: e.DN, User: u, Disabled: disabled(e.GetAttributeValue(a.Disabled))})
		}
	}
	return out, problems, nil
}

// groupName is a group's CN from its DN (or the value itself).
func groupName(v string) string {
	dn, err := ldap.ParseDN(v)
	if err != nil || len(dn.RDNs) == 0 {
		return strings.TrimSpace(v)
	}
	for _, at := range dn.RDNs[0].Attributes {
		if strings.EqualFold(at.Type, "cn") {
			return at.Value
		}
	}
	return strings.TrimSpace(v)
}

// disabled reads userAccountControl (bit 2, ACCOUNTDISABLE) or a boolean.
func disabled(v string) bool {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n&2 != 0
	}
	return strings.EqualFold(v, "true")
}

// ImportFile turns the people into what `users import` applies: the same
// add, update and prune, the same report and audit records.
func ImportFile(people []Person, yearGroups bool) *identity.ImportFile {
	f := &identity.ImportFile{Columns: []string{"username", "display_name", "role", "groups", "email"}}
	if yearGroups {
		f.Columns = append(f.Columns, "year_group")
	}
	for i, p := range people {
		f.Rows = append(f.Rows, identity.ImportRow{Line: i + 1, User: p.User})
	}
	return f
}
