package console

import (
	"fmt"
	"net/http"
	"strconv"

	"schoolgate/internal/config"
)

// sanctionRecord records what was done about an incident (the form on
// its sanctions page).
func (c *Console) sanctionRecord(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	f := readSanctionForm(r)
	if f.Action != config.ActionRemovalOfAccess {
		// The page always sends its removal fields, filled in or not.
		f.For, f.Scope = "", ""
	}
	n, fe := f.Validate(c.location())
	if fe != nil {
		c.showSanctions(w, r, v, id, http.StatusUnprocessableEntity, sanctionsView{Form: f, Error: fe.Error()})
		return
	}
	if _, err := c.sanc.Record(r.Context(), v.actor, id, n); err != nil {
		if status, _, ok := domainStatus(err); ok && status == http.StatusUnprocessableEntity {
			c.showSanctions(w, r, v, id, status, sanctionsView{Form: f, Error: err.Error()})
			return
		}
		c.sanctionPageError(w, r, v, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/incidents/%d/sanctions?done=recorded", id), http.StatusSeeOther)
}
