package console

import (
	"errors"
	"net/http"
	"strconv"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// grantRevoke ends a grant now, with a reason.
func (c *Console) grantRevoke(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	f := revokeForm{Reason: r.PostFormValue("reason")}
	if ferr := f.Validate(); ferr != nil {
		c.showGrants(w, r, v, http.StatusUnprocessableEntity, grantsView{Error: ferr.Error()})
		return
	}
	if err := c.svc.RevokeOverride(r.Context(), v.actor, id, f.Reason); err != nil {
		status := http.StatusUnprocessableEntity
		switch {
		case errors.Is(err, safeguarding.ErrForbidden):
			status = http.StatusForbidden
		case errors.Is(err, store.ErrNotFound):
			status = http.StatusNotFound
		case errors.Is(err, safeguarding.ErrInvalid), errors.Is(err, store.ErrInvalid):
		default:
			c.fail(w, r, v, err)
			return
		}
		c.showGrants(w, r, v, status, grantsView{Error: err.Error()})
		return
	}
	http.Redirect(w, r, "/grants?done=revoked", http.StatusSeeOther)
}
