package console

import (
	"context"
	"errors"
	"fmt"

	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// personClass is what a username in the activity log is, for the rule
// on whose rows a role may read.
type personClass uint8

const (
	classPupil   personClass = iota // a pupil or visitor (or a device, no name)
	classStaff                      // holds any other role
	classUnknown                    // not in the directory: treated as both
)

// rowRule decides, row by row, whether the visitor may see a named
// person's activity: a pupil's needs ViewNamedPupilActivity, a member of
// staff's (anyone holding a role other than pupil or visitor)
// ViewNamedStaffActivity, and a name the directory does not know needs
// both (fail safe: it could be either). Lookups are remembered for the
// request.
type rowRule struct {
	st             *store.Store
	pupils, staffs bool
	seen           map[string]personClass
}

func (c *Console) rowRule(v *visit) *rowRule {
	return &rowRule{st: c.st, seen: map[string]personClass{},
		pupils: safeguarding.Can(v.user.Roles, safeguarding.ViewNamedPupilActivity),
		staffs: safeguarding.Can(v.user.Roles, safeguarding.ViewNamedStaffActivity)}
}

func (rr *rowRule) class(ctx context.Context, user string) (personClass, error) {
	if user == "" {
		return classPupil, nil
	}
	if k, ok := rr.seen[user]; ok {
		return k, nil
	}
	u, err := rr.st.GetUser(ctx, user)
	k := classPupil
	switch {
	case errors.Is(err, store.ErrNotFound):
		k = classUnknown
	case err != nil:
		return 0, fmt.Errorf("console: looking up a person for the row rule: %w", err) // no name: this reaches the system log
	default:
		for _, r := range u.Roles {
			if r != identity.RolePupil && r != identity.RoleVisitor {
				k = classStaff
			}
		}
	}
	rr.seen[user] = k
	return k, nil
}

// allows says whether the visitor may see user's rows.
func (rr *rowRule) allows(ctx context.Context, user string) (bool, error) {
	k, err := rr.class(ctx, user)
	if err != nil {
		return false, err
	}
	switch k {
	case classPupil:
		return rr.pupils, nil
	case classStaff:
		return rr.staffs, nil
	}
	return rr.pupils && rr.staffs, nil
}
