package console

import (
	"errors"
	"net/http"
	"strconv"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// checkCreate records a check by hand (a failed or partial one raises a
// finding), or a correction of an earlier check.
func (c *Console) checkCreate(w http.ResponseWriter, r *http.Request, v *visit) {
	f := readCheckForm(r)
	in, ferr := f.Validate(c.now(), c.location())
	if ferr != nil {
		c.showChecks(w, r, v, http.StatusUnprocessableEntity, checksView{Form: f, Error: ferr.Error()})
		return
	}
	k, _, err := c.chk.RecordCheck(r.Context(), v.actor, in)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.showChecks(w, r, v, http.StatusUnprocessableEntity, checksView{Form: f, Error: "corrects: there is no check with that number"})
		return
	case errors.Is(err, safeguarding.ErrInvalid), errors.Is(err, store.ErrInvalid):
		c.showChecks(w, r, v, http.StatusUnprocessableEntity, checksView{Form: f, Error: err.Error()})
		return
	case err != nil:
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/checks/"+strconv.FormatInt(k.ID, 10)+"?done=check", http.StatusSeeOther)
}
