package console

import (
	"errors"
	"net/http"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// grantCreate makes a time-limited grant through the domain layer. When
// site.school_day_end is set, a teacher's grant ends by then, and one
// asked for after it is refused (422 naming the field).
func (c *Console) grantCreate(w http.ResponseWriter, r *http.Request, v *visit) {
	f := readGrantForm(r)
	now := c.now()
	to, d, ferr := f.Validate(now, c.location())
	if ferr == nil && !safeguarding.Can(v.user.Roles, safeguarding.DecideRequests) {
		// A teacher (who may grant but not decide requests).
		if end, ok := c.snap().Config().Site.SchoolDayEndAt(now.In(c.location())); ok {
			switch {
			case !now.Before(end):
				ferr = fieldErr("for", "the school day ended at %s (site.school_day_end): a teacher's grant cannot start after it", end.Format("15:04"))
			case now.Add(d).After(end):
				d = end.Sub(now)
			}
		}
	}
	if ferr != nil {
		c.showGrants(w, r, v, http.StatusUnprocessableEntity, grantsView{Form: f, Error: ferr.Error()})
		return
	}
	g := safeguarding.Grant{To: to, For: d, Reason: f.Reason}
	if f.WhatKind == "category" {
		g.Category = f.Category
	} else {
		g.Target = f.Site
	}
	if _, err := c.svc.CreateGrant(r.Context(), v.actor, g); err != nil {
		status := http.StatusUnprocessableEntity
		switch {
		case errors.Is(err, safeguarding.ErrForbidden):
			status = http.StatusForbidden
		case errors.Is(err, safeguarding.ErrIllegal), errors.Is(err, safeguarding.ErrInvalid), errors.Is(err, safeguarding.ErrUnknownGrantee),
			errors.Is(err, safeguarding.ErrNotApplicable), errors.Is(err, store.ErrInvalid):
		default:
			c.fail(w, r, v, err)
			return
		}
		c.showGrants(w, r, v, status, grantsView{Form: f, Error: err.Error()})
		return
	}
	http.Redirect(w, r, "/grants?done=granted", http.StatusSeeOther)
}
