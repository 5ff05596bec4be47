package identity

import (
	"fmt"
	"slices"

	"schoolgate/internal/config"
)

// ResolveGroups is a user's groups: their explicit groups, then the group
// their year group maps to, then the group each of their roles maps to
// (config identity.year_groups and identity.roles), without duplicates.
// Explicit groups may include directory groups the policy does not define
// (an MIS export's classes, houses, clubs): the policy ignores those
// (policy.Snapshot.UserGroups), and PolicyGroups drops them.
func ResolveGroups(explicit []string, yearGroup string, roles []Role, m config.Identity) []string {
	out := make([]string, 0, len(explicit)+1+len(roles))
	seen := make(map[string]bool, len(explicit)+2)
	add := func(g string) {
		if g != "" && !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	for _, g := range explicit {
		add(g)
	}
	if yearGroup != "" {
		add(m.YearGroups[yearGroup])
	}
	for _, r := range roles {
		add(roleGroup(m, r))
	}
	return out
}

// roleGroup is the group identity.roles maps r to; its keys may be in any
// case or an alias (CheckMapping refuses two keys for one role).
func roleGroup(m config.Identity, r Role) string {
	if g, ok := m.Roles[string(r)]; ok {
		return g
	}
	for k, g := range m.Roles {
		if kr, err := ParseRole(k); err == nil && kr == r {
			return g
		}
	}
	return ""
}

// PolicyGroups keeps the names known reports a policy group.
func PolicyGroups(names []string, known func(string) bool) []string {
	return slices.DeleteFunc(slices.Clone(names), func(g string) bool { return !known(g) })
}

// CheckMapping checks identity.roles: every key a role of the fixed set,
// at most one key per role, every group one the policy defines (known).
func CheckMapping(m config.Identity, known func(string) bool) error {
	keys := make([]string, 0, len(m.Roles))
	for k := range m.Roles {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	seen := map[Role]string{}
	for _, k := range keys {
		r, err := ParseRole(k)
		if err != nil {
			return fmt.Errorf("identity.roles: %w", err)
		}
		if other, dup := seen[r]; dup {
			return fmt.Errorf("identity.roles: %q and %q are both the role %s", other, k, r)
		}
		seen[r] = k
		if g := m.Roles[k]; known != nil && !known(g) {
			return fmt.Errorf("identity.roles.%s: unknown group %q", k, g)
		}
	}
	years := make([]string, 0, len(m.YearGroups))
	for y := range m.YearGroups {
		years = append(years, y)
	}
	slices.Sort(years)
	for _, y := range years {
		if g := m.YearGroups[y]; known != nil && !known(g) {
			return fmt.Errorf("identity.year_groups.%s: unknown group %q", y, g)
		}
	}
	return nil
}

// KS1Years are the year groups of the early years and key stage 1, whose
// pupils may use shared class log-ons.
var KS1Years = [...]string{"N", "R", "1", "2"}

// SharedGroups are the groups a shared class log-on may be in: those that
// identity.year_groups maps a KS1 year group to.
func SharedGroups(m config.Identity) map[string]bool {
	out := map[string]bool{}
	for _, y := range KS1Years {
		if g := m.YearGroups[y]; g != "" {
			out[g] = true
		}
	}
	return out
}
