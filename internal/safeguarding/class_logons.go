package safeguarding

import (
	"context"
	"fmt"
	"slices"

	"schoolgate/internal/identity"
)

// AddClassLogOn makes a shared class log-on (identity.User.Shared) for
// one KS1 group (allowed: identity.SharedGroups of the policy's mapping),
// with the pupil role and a new random password, returned to be shown
// once. Older pupils each have their own log-on: a group that is not
// KS1's is refused.
func (p *People) AddClassLogOn(ctx context.Context, a Actor, u identity.User, allowed map[string]bool) (string, error) {
	if err := check(a, ManagePeople); err != nil {
		return "", err
	}
	if len(u.Groups) != 1 || !allowed[u.Groups[0]] {
		var ks1 []string
		for g := range allowed {
			ks1 = append(ks1, g)
		}
		slices.Sort(ks1)
		return "", fmt.Errorf("group: %w: a class log-on is for one KS1 group (identity.year_groups for N, R, 1, 2: %v)", ErrInvalid, ks1)
	}
	u.Shared, u.Roles, u.YearGroup = true, []identity.Role{identity.RolePupil}, ""
	if err := CheckRoles(a, u.Username, nil, u.Roles); err != nil {
		return "", err
	}
	pw := newPassword()
	hash, err := identity.HashPassword(pw, p.hash)
	if err != nil {
		return "", err
	}
	if err := p.st.CreateUser(ctx, a.storeActor(), u, hash); err != nil {
		return "", err
	}
	return pw, nil
}
