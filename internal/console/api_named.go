package console

import (
	"context"

	"schoolgate/internal/safeguarding"
)

// namer is the API's view of the one row rule (people_rule.go) that the
// activity pages use too: a pupil's activity needs
// ViewNamedPupilActivity, a member of staff's ViewNamedStaffActivity, a
// name the directory does not know both.
type namer struct {
	rr *rowRule
}

func (c *Console) namer(v *visit) *namer {
	return &namer{rr: c.rowRule(v)}
}

// may says whether the caller may see user's activity, and the capability
// missing when not.
func (n *namer) may(ctx context.Context, user string) (bool, safeguarding.Capability, error) {
	ok, err := n.rr.allows(ctx, user)
	if err != nil || ok {
		return ok, "", err
	}
	if !n.rr.pupils {
		return false, safeguarding.ViewNamedPupilActivity, nil
	}
	return false, safeguarding.ViewNamedStaffActivity, nil
}
