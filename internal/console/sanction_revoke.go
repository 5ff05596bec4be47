package console

import (
	"fmt"
	"net/http"
	"strconv"
)

// sanctionRevoke revokes a sanction, with the reason: a removal of
// access ends at once.
func (c *Console) sanctionRevoke(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	f := revokeForm{Reason: r.PostFormValue("reason")}
	if fe := f.Validate(); fe != nil {
		c.render(w, r, http.StatusUnprocessableEntity, "error", v, errorView{Title: "Not revoked", Message: fe.Error()})
		return
	}
	sc, err := c.sanc.Revoke(r.Context(), v.actor, id, f.Reason)
	if err != nil {
		if status, _, ok := domainStatus(err); ok && status == http.StatusUnprocessableEntity {
			c.render(w, r, status, "error", v, errorView{Title: "Not revoked", Message: err.Error()})
			return
		}
		c.sanctionPageError(w, r, v, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/incidents/%d/sanctions?done=revoked", sc.IncidentID), http.StatusSeeOther)
}
