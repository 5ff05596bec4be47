package console

import (
	"net/http"
	"strconv"
)

// requestDeny declines a pending request with a reason the pupil sees.
func (c *Console) requestDeny(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	f := denyForm{Reason: r.PostFormValue("reason")}
	if ferr := f.Validate(); ferr != nil {
		c.showRequests(w, r, v, http.StatusUnprocessableEntity, requestsView{Error: ferr.Error(), ErrorID: id})
		return
	}
	if _, err := c.svc.DenyRequest(r.Context(), v.actor, id, f.Reason); err != nil {
		c.domainError(w, r, v, id, err)
		return
	}
	http.Redirect(w, r, "/requests?done=denied", http.StatusSeeOther)
}
