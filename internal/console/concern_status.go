package console

import (
	"errors"
	"net/http"
	"strconv"

	"schoolgate/internal/store"
)

// concernStatus moves a concern to new, in progress or closed (audited
// by the store).
func (c *Console) concernStatus(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	status := r.PostFormValue("status")
	switch status {
	case store.ConcernOpen, store.ConcernInProgress, store.ConcernClosed:
	default:
		c.showConcern(w, r, v, http.StatusUnprocessableEntity, concernView{Error: "Choose new, in progress or closed."})
		return
	}
	err = c.st.SetConcernProgress(r.Context(), v.actorStore(), id, status)
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/concerns/"+strconv.FormatInt(id, 10)+"?done=status", http.StatusSeeOther)
}
