package console

import (
	"net/http"
	"strconv"

	"schoolgate/internal/store"
)

// apiAlerts lists the alerts the caller may see (?status=new, the
// default, acknowledged, closed or all; ?severity=N at least; ?rule=).
// The domain audits the view with the people it names.
func (c *Console) apiAlerts(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	f := store.AlertFilter{Status: q.Get("status"), Rule: q.Get("rule")}
	switch f.Status {
	case "":
		f.Status = store.AlertNew
	case store.AlertNew, store.AlertAcknowledged, store.AlertClosed:
	case "all":
		f.Status = ""
	default:
		apiField(w, fieldErr("status", "%q: want new, acknowledged, closed or all", f.Status))
		return
	}
	if s := q.Get("severity"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 5 {
			apiField(w, fieldErr("severity", "%q: want 1 to 5", s))
			return
		}
		f.Severity = n
	}
	list, err := c.alerts.List(r.Context(), c.alertActor(v), f)
	if err != nil {
		c.apiAlertError(w, r, err)
		return
	}
	if list == nil {
		list = []store.Alert{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": list})
}

// apiAlertsCount is the number of new alerts the caller may see: a
// number naming nobody (the console's live count polls it).
func (c *Console) apiAlertsCount(w http.ResponseWriter, r *http.Request, v *visit) {
	n, err := c.alerts.Count(r.Context(), c.alertActor(v), store.AlertNew)
	if err != nil {
		c.apiAlertError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"new": n})
}

// apiAlertError answers a refusal of the alert operations.
func (c *Console) apiAlertError(w http.ResponseWriter, r *http.Request, err error) {
	st := alertStatus(err)
	if st == 0 {
		c.apiFail(w, r, err)
		return
	}
	writeJSON(w, st, apiErr{Error: err.Error()})
}
