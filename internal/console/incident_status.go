package console

import (
	"net/http"

	"schoolgate/internal/store"
)

// incidentStatus marks an incident under investigation (or open again).
// Closing is incidentClose, which needs the outcome.
func (c *Console) incidentStatus(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := incidentID(w, r)
	if !ok {
		return
	}
	status := r.PostFormValue("status")
	if status == "" {
		status = store.IncidentInvestigating
	}
	err := c.inc.SetStatus(r.Context(), v.actor, id, status)
	c.incidentDone(w, r, v, id, err, "status", "status")
}
