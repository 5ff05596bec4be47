package identity

import "schoolgate/internal/config"

// IsPupil reports whether u is filtered as a pupil: the pupil role, or no
// role at all (an MIS pupil export often has no role column).
func IsPupil(u *User) bool { return len(u.Roles) == 0 || HasRole(u.Roles, RolePupil) }

// Unplaced reports whether a pupil ends up in no policy group: none of
// their explicit groups is one the policy defines (known), and neither
// their year group nor their roles map to one (m). Such a pupil is
// filtered only by the network they are on, so an import reports them.
func Unplaced(u *User, m config.Identity, known func(string) bool) bool {
	if !IsPupil(u) {
		return false
	}
	return len(PolicyGroups(ResolveGroups(u.Groups, u.YearGroup, u.Roles, m), known)) == 0
}
