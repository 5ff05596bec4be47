package ldapsync

import (
	"context"
	"fmt"

	"schoolgate/internal/store"
)

// Report is what a sync did: the import's summary, plus the accounts the
// directory says are disabled and the entries it could not use.
type Report struct {
	store.ImportSummary
	DisabledHere int      `json:"disabled_here"`
	Problems     []string `json:"problems,omitempty"`
	People       int      `json:"people"`
}

// Apply reads the directory and applies it the way `users import
// --prune` applies a CSV: add, update, disable the missing (never
// deleting history), and disable here the accounts disabled there. If the
// directory cannot be read, nothing changes (the last good users stay).
func Apply(ctx context.Context, c *Client, st *store.Store, by store.Actor, yearGroups bool) (Report, error) {
	people, problems, err := c.People(ctx)
	if err != nil {
		return Report{}, err
	}
	if len(people) == 0 {
		return Report{}, fmt.Errorf("%w: the directory returned nobody (check the base DNs and filters); nothing was changed", ErrUnavailable)
	}
	f := ImportFile(people, yearGroups)
	f.Site = by.Site // the school the directory is for
	sum, err := st.ImportUsers(ctx, by, f, true)
	if err != nil {
		return Report{}, err
	}
	rep := Report{ImportSummary: sum, Problems: problems, People: len(people)}
	for _, p := range people {
		if !p.Disabled {
			continue
		}
		u, err := st.GetUser(ctx, p.User.Username)
		if err != nil {
			return rep, err
		}
		if u.Disabled {
			continue
		}
		if err := st.SetDisabled(ctx, by, p.User.Username, true); err != nil {
			return rep, err
		}
		rep.DisabledHere++
	}
	return rep, nil
}
