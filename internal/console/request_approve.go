package console

import (
	"errors"
	"net/http"
	"strconv"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// requestApprove approves a pending request through the domain layer
// (which checks the permission and refuses illegal content): for this
// lesson, today, this week or until a date; for the pupil, the device or
// a group.
func (c *Console) requestApprove(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	f := readApproveForm(r)
	d, ferr := f.Validate(c.now(), c.location())
	if ferr != nil {
		c.showRequests(w, r, v, http.StatusUnprocessableEntity, requestsView{Error: ferr.Error(), ErrorID: id})
		return
	}
	if d > reconfirmAfter {
		// The most sensitive approvals ask for a fresh code again.
		ok, err := c.reconfirm(r, v, r.PostFormValue("code"))
		if err != nil {
			c.fail(w, r, v, err)
			return
		}
		if !ok {
			c.showRequests(w, r, v, http.StatusUnprocessableEntity, requestsView{ErrorID: id,
				Error: "code: approving for more than a day needs a current code from your authenticator app"})
			return
		}
	}
	ap := safeguarding.Approval{For: d, Reason: f.Reason}
	switch f.Scope {
	case "device":
		ap.Scope = safeguarding.ScopeDevice
	case "group":
		ap.Scope, ap.Group = safeguarding.ScopeGroup, f.Group
	}
	_, _, err = c.svc.ApproveRequest(r.Context(), v.actor, id, ap)
	if err != nil {
		c.domainError(w, r, v, id, err)
		return
	}
	http.Redirect(w, r, "/requests?done=approved", http.StatusSeeOther)
}

// domainError shows a refusal of the domain layer on the requests page:
// 403 for a permission, 404 for an unknown request, 422 otherwise.
func (c *Console) domainError(w http.ResponseWriter, r *http.Request, v *visit, id int64, err error) {
	status := http.StatusUnprocessableEntity
	switch {
	case errors.Is(err, safeguarding.ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, store.ErrNotPending), errors.Is(err, safeguarding.ErrIllegal), errors.Is(err, store.ErrIllegal),
		errors.Is(err, safeguarding.ErrNotApplicable), errors.Is(err, safeguarding.ErrInvalid), errors.Is(err, safeguarding.ErrUnknownGrantee),
		errors.Is(err, store.ErrInvalid):
	default:
		c.fail(w, r, v, err)
		return
	}
	c.showRequests(w, r, v, status, requestsView{Error: err.Error(), ErrorID: id})
}
