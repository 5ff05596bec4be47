package console

import (
	"net/http"
	"strings"
)

// apiAlertClose closes an alert: {"outcome": "true-concern" |
// "false-positive" | "duplicate", "note": "…"}; unknown fields are 422.
func (c *Console) apiAlertClose(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := alertID(r)
	if !ok {
		c.apiNotFound(w, r, v)
		return
	}
	var f alertForm
	if fe := decodeJSON(r, &f); fe != nil {
		apiField(w, fe)
		return
	}
	f.Note = strings.TrimSpace(f.Note)
	if fe := f.Validate(); fe != nil {
		apiField(w, fe)
		return
	}
	if err := c.alerts.Close(r.Context(), c.alertActor(v), id, f.Outcome, f.Note); err != nil {
		c.apiAlertError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "status": "closed", "outcome": f.Outcome})
}
