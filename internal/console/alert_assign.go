package console

import (
	"net/http"
	"strings"
)

// alertAssign gives an open alert to a person (empty: nobody).
func (c *Console) alertAssign(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := alertID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	who := strings.ToLower(strings.TrimSpace(r.PostFormValue("assignee")))
	c.alertHandled(w, r, v, id, "assign", c.alerts.Assign(r.Context(), c.alertActor(v), id, who))
}
