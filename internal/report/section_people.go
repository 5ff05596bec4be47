package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
)

// The acceptable-use and filtering checks sections.

// roleOrder is the order of the coverage table.
var roleOrder = []identity.Role{identity.RolePupil, identity.RoleStaff, identity.RoleTeacher, identity.RoleTechnical,
	identity.RoleESafetyLead, identity.RoleDSL, identity.RoleSLT, identity.RoleGovernor, identity.RoleVisitor}

func (r *Reporter) aua(ctx context.Context, rep *Report, snap *policy.Snapshot, people []identity.User) error {
	cfg := snap.Config()
	rep.AUA.Note = "People with an acceptable-use agreement for one of their groups, and how many have accepted its current version. Someone with two roles counts under each."
	if len(cfg.AUA) == 0 {
		rep.AUA.Note = "The policy has no acceptable-use agreements (aua:)."
		return nil
	}
	list, err := r.src.Accepted(ctx)
	if err != nil {
		return fmt.Errorf("report: acceptable use: %w", err)
	}
	accepted := map[Acceptance]bool{}
	for _, a := range list {
		accepted[a] = true
	}
	type tally struct{ yes, no int64 }
	byRole := map[identity.Role]*tally{}
	for _, u := range people {
		if u.Disabled {
			continue
		}
		groups := identity.ResolveGroups(u.Groups, u.YearGroup, u.Roles, cfg.Identity)
		// The first agreement of the policy that one of their groups has.
		i := slices.IndexFunc(cfg.AUA, func(e config.Entry[config.AUA]) bool { return slices.Contains(groups, e.Name) })
		if i < 0 {
			continue
		}
		e := cfg.AUA[i]
		ok := accepted[Acceptance{Username: u.Username, Group: e.Name, Version: e.Value.Version}]
		for _, role := range u.Roles {
			t := byRole[role]
			if t == nil {
				t = &tally{}
				byRole[role] = t
			}
			if ok {
				t.yes++
			} else {
				t.no++
			}
		}
	}
	for _, role := range roleOrder {
		t := byRole[role]
		if t == nil {
			continue
		}
		figs, people := Suppress([]int64{t.yes, t.no}, t.yes+t.no)
		row := AUARole{Role: roleWords(role), Accepted: figs[0], Outstanding: figs[1], People: people}
		if !figs[0].Suppressed() && !people.Suppressed() && t.yes+t.no > 0 {
			row.Share = strconv.FormatInt(t.yes*100/(t.yes+t.no), 10) + "%"
		}
		rep.AUA.Rows = append(rep.AUA.Rows, row)
	}
	return nil
}

func roleWords(r identity.Role) string {
	switch r {
	case identity.RolePupil:
		return "Pupils"
	case identity.RoleStaff:
		return "Support staff"
	case identity.RoleTeacher:
		return "Teachers"
	case identity.RoleTechnical:
		return "Technical staff"
	case identity.RoleESafetyLead:
		return "E-safety leads"
	case identity.RoleDSL:
		return "Designated safeguarding leads"
	case identity.RoleSLT:
		return "Senior leadership"
	case identity.RoleGovernor:
		return "Governors"
	case identity.RoleVisitor:
		return "Visitors"
	}
	return string(r)
}

func (r *Reporter) checks(ctx context.Context, rep *Report, site string, p Period, loc *time.Location) error {
	list, err := r.src.Checks(ctx, site, p.From, p.To)
	if errors.Is(err, ErrNotRecorded) {
		rep.Checks = ChecksSection{NotRecorded: "Filtering checks and reviews are not recorded in Schoolgate yet: this section has no figures, not zero."}
		return nil
	}
	if err != nil {
		return fmt.Errorf("report: checks: %w", err)
	}
	var passedHand, failedHand, passedAuto, failedAuto, reviews int64
	var last time.Time
	for _, c := range list {
		switch {
		case c.Kind == "review":
			reviews++
			if c.At.After(last) {
				last = c.At
			}
		case c.Measured && c.Passed:
			passedAuto++
		case c.Measured:
			failedAuto++
		case c.Passed:
			passedHand++
		default:
			failedHand++
		}
	}
	rep.Checks.Checks = table("Filtering checks", []string{"Recorded by hand: as expected", "Recorded by hand: found a problem",
		"Self-test (measured): as expected", "Self-test (measured): found a problem"},
		[]int64{passedHand, failedHand, passedAuto, failedAuto}, passedHand+failedHand+passedAuto+failedAuto, true)
	_, rep.Checks.Reviews = Suppress(nil, reviews)
	if !last.IsZero() {
		rep.Checks.LastReview = last.In(loc).Format("2 January 2006")
	}
	return nil
}
