package console

import (
	"context"
	"errors"
	"slices"

	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
)

// namer says which people's activity a caller may see by name: a
// pupil's (or a name the directory does not know) needs
// ViewNamedPupilActivity, a member of staff's ViewNamedStaffActivity,
// someone with both kinds of role both. Answers are cached for one call.
type namer struct {
	c     *Console
	roles []identity.Role
	seen  map[string]bool
}

func (c *Console) namer(v *visit) *namer {
	return &namer{c: c, roles: v.user.Roles, seen: map[string]bool{}}
}

// may says whether the caller may see user's activity; the capability
// missing when not.
func (n *namer) may(ctx context.Context, user string) (bool, safeguarding.Capability, error) {
	if ok, done := n.seen[user]; done {
		return ok, "", nil
	}
	u, err := n.c.dir.Lookup(ctx, user)
	if err != nil && !errors.Is(err, identity.ErrNotFound) {
		return false, "", err
	}
	var roles []identity.Role
	if u != nil {
		roles = u.Roles
	}
	staff := slices.ContainsFunc(roles, func(r identity.Role) bool { return r != identity.RolePupil && r != identity.RoleVisitor })
	pupil := len(roles) == 0 || slices.Contains(roles, identity.RolePupil) || slices.Contains(roles, identity.RoleVisitor)
	var missing safeguarding.Capability
	switch {
	case pupil && !safeguarding.Can(n.roles, safeguarding.ViewNamedPupilActivity):
		missing = safeguarding.ViewNamedPupilActivity
	case staff && !safeguarding.Can(n.roles, safeguarding.ViewNamedStaffActivity):
		missing = safeguarding.ViewNamedStaffActivity
	}
	n.seen[user] = missing == ""
	return missing == "", missing, nil
}
