package console

import (
	"errors"
	"net/http"
	"strconv"

	"schoolgate/internal/store"
)

// findingResolve records how a finding was resolved (once).
func (c *Console) findingResolve(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	_, err = c.chk.ResolveFinding(r.Context(), v.actor, id, r.PostFormValue("how"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.NotFound(w, r)
		return
	case errors.Is(err, store.ErrInvalid):
		c.showFindings(w, r, v, http.StatusUnprocessableEntity, findingsView{Error: "Say how the finding was resolved."})
		return
	case errors.Is(err, store.ErrResolved):
		c.showFindings(w, r, v, http.StatusUnprocessableEntity, findingsView{Error: "That finding was resolved already."})
		return
	case err != nil:
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/findings?done=resolved", http.StatusSeeOther)
}
