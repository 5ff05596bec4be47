package console

import "net/http"

// apiAlertAck acknowledges a new alert: 409 when it is not new.
func (c *Console) apiAlertAck(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := alertID(r)
	if !ok {
		c.apiNotFound(w, r, v)
		return
	}
	if err := c.alerts.Ack(r.Context(), c.alertActor(v), id); err != nil {
		c.apiAlertError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "status": "acknowledged"})
}
