package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"schoolgate/internal/store"
)

// incidentLink copies an activity event or a concern into an incident
// named by its number (the "add to incident" control of the activity
// page, the chronology and a concern's page). The answer is the
// incident's record; a bad number or item is a page saying which.
func (c *Console) incidentLink(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(r.PostFormValue("incident")), "#"), 10, 64)
	if err != nil || id <= 0 {
		c.render(w, r, http.StatusUnprocessableEntity, "error", v, errorView{Title: "Which incident?",
			Message: "incident: give the incident's number (on its record and in the incident log). Go back and try again."})
		return
	}
	kind, ref := r.PostFormValue("kind"), strings.TrimSpace(r.PostFormValue("ref"))
	err = c.linkEvidence(r.Context(), v, id, []evidenceRef{{kind, ref}})
	switch {
	case errors.Is(err, store.ErrExists):
		err = nil // already there: the record shows it
	case errors.Is(err, store.ErrNotFound):
		c.render(w, r, http.StatusUnprocessableEntity, "error", v, errorView{Title: "No such incident",
			Message: "incident: there is no incident " + strconv.FormatInt(id, 10) + ". Go back and check the number."})
		return
	}
	c.incidentDone(w, r, v, id, err, "evidence", evidenceField(kind))
}
