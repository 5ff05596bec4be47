package identity

import "schoolgate/internal/config"

// ResolveGroups is a user's policy groups: their explicit groups, then the
// group their year group maps to, then the group their role maps to
// (config identity.year_groups and identity.roles), without duplicates.
func ResolveGroups(explicit []string, yearGroup, role string, m config.Identity) []string {
	out := make([]string, 0, len(explicit)+2)
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
	if role != "" {
		add(m.Roles[role])
	}
	return out
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
