package console

import (
	"errors"
	"net/http"
	"strconv"

	"schoolgate/internal/store"
)

// concernNote appends a note to a concern (audited by the store; the
// record says a note was added, not what it says).
func (c *Console) concernNote(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	text := r.PostFormValue("note")
	_, err = c.st.AddConcernNote(r.Context(), v.actorStore(), id, text)
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.NotFound(w, r)
		return
	case errors.Is(err, store.ErrInvalid):
		c.showConcern(w, r, v, http.StatusUnprocessableEntity, concernView{Error: "The note is empty or too long (4000 characters at most).", Note: text})
		return
	case err != nil:
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/concerns/"+strconv.FormatInt(id, 10)+"?done=note", http.StatusSeeOther)
}
