package console

import "net/http"

// incidentCorrect records a correction of one field with its reason; the
// record keeps what was first written.
func (c *Console) incidentCorrect(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := incidentID(w, r)
	if !ok {
		return
	}
	f, fe := readCorrectionForm(r).Validate(c.location())
	if fe != nil {
		c.showIncident(w, r, v, http.StatusUnprocessableEntity, incidentView{Error: fe.Error(), Field: fe.Field})
		return
	}
	_, err := c.inc.Correct(r.Context(), v.actor, id, f.Field, f.Value, f.Reason)
	c.incidentDone(w, r, v, id, err, "correction", "value")
}
