package console

import (
	"context"
	"slices"

	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
)

// checksTile is the dashboard's line on the DfE checks: the last annual
// review (warning when there is none, or from eleven months after it),
// for everyone who reads checks; the open findings for the technical
// role and the DSL, who act on them.
type checksTile struct {
	Show         bool
	Review       safeguarding.ReviewStatus
	ShowFindings bool
	OpenFindings int64
}

func (c *Console) checksTile(ctx context.Context, v *visit) (checksTile, error) {
	t := checksTile{Show: safeguarding.Can(v.user.Roles, safeguarding.ReadChecks)}
	if !t.Show {
		return t, nil
	}
	var err error
	if t.Review, err = c.chk.ReviewStatus(ctx, v.actor, c.location()); err != nil {
		return t, err
	}
	t.ShowFindings = slices.Contains(v.user.Roles, identity.RoleTechnical) || slices.Contains(v.user.Roles, identity.RoleDSL)
	if t.ShowFindings {
		if t.OpenFindings, err = c.chk.CountOpenFindings(ctx, v.actor); err != nil {
			return t, err
		}
	}
	return t, nil
}
