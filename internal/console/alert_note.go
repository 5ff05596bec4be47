package console

import "net/http"

// alertNote appends a note to an alert (audited without its text).
func (c *Console) alertNote(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := alertID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, err := c.alerts.Note(r.Context(), c.alertActor(v), id, r.PostFormValue("note"))
	c.alertHandled(w, r, v, id, "note", err)
}
