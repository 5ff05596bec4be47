package console

import "net/http"

// incidentClose closes an incident with its outcome.
func (c *Console) incidentClose(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := incidentID(w, r)
	if !ok {
		return
	}
	err := c.inc.Close(r.Context(), v.actor, id, r.PostFormValue("outcome"))
	c.incidentDone(w, r, v, id, err, "closed", "outcome")
}
