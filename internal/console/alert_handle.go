package console

import (
	"net/http"
	"strconv"
)

// alertHandled redirects back to the alert after a change, or shows the
// refusal on it.
func (c *Console) alertHandled(w http.ResponseWriter, r *http.Request, v *visit, id int64, done string, err error) {
	if err == nil {
		http.Redirect(w, r, "/alerts/"+strconv.FormatInt(id, 10)+"?done="+done, http.StatusSeeOther)
		return
	}
	st := alertStatus(err)
	if st == 0 {
		c.fail(w, r, v, err)
		return
	}
	if st == http.StatusNotFound || st == http.StatusForbidden {
		c.render(w, r, st, "error", v, errorView{Title: "No such alert", Message: "There is no alert with that number that you may see."})
		return
	}
	c.showAlert(w, r, v, st, alertView{Error: err.Error()})
}

// alertAck acknowledges a new alert (escalation stops; audited).
func (c *Console) alertAck(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := alertID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	c.alertHandled(w, r, v, id, "ack", c.alerts.Ack(r.Context(), c.alertActor(v), id))
}
