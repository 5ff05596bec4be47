package console

import (
	"net/http"
	"strings"
)

// alertClose closes an alert with an outcome and an optional note.
func (c *Console) alertClose(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := alertID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	f := alertForm{Outcome: r.PostFormValue("outcome"), Note: strings.TrimSpace(r.PostFormValue("note"))}
	if fe := f.Validate(); fe != nil {
		c.showAlert(w, r, v, http.StatusUnprocessableEntity, alertView{Error: fe.Error()})
		return
	}
	c.alertHandled(w, r, v, id, "close", c.alerts.Close(r.Context(), c.alertActor(v), id, f.Outcome, f.Note))
}
