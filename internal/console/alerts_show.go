package console

import (
	"net/http"
	"strconv"

	"schoolgate/internal/store"
)

// alertsView is the list of alerts with its filters.
type alertsView struct {
	Alerts     []alertRow
	Statuses   []string
	Severities []int
	Status     string
	Severity   int
	Rule       string
	Notice     string
}

func (alertsView) title() string { return "Alerts" }

// alertsShow lists the alerts the visitor may see (new by default),
// filtered by status, least severity and rule. The domain audits the
// view with the people it names.
func (c *Console) alertsShow(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	view := alertsView{Status: q.Get("status"), Rule: q.Get("rule"), Severities: []int{1, 2, 3, 4, 5},
		Statuses: []string{store.AlertNew, store.AlertAcknowledged, store.AlertClosed, "all"}}
	switch view.Status {
	case "":
		view.Status = store.AlertNew
	case store.AlertNew, store.AlertAcknowledged, store.AlertClosed, "all":
	default:
		c.render(w, r, http.StatusUnprocessableEntity, "error", v, errorView{Title: "Alerts", Message: "Status: choose new, acknowledged, closed or all."})
		return
	}
	if s := q.Get("severity"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 5 {
			c.render(w, r, http.StatusUnprocessableEntity, "error", v, errorView{Title: "Alerts", Message: "Severity: choose 1 to 5."})
			return
		}
		view.Severity = n
	}
	f := store.AlertFilter{Status: view.Status, Severity: view.Severity, Rule: view.Rule}
	if f.Status == "all" {
		f.Status = ""
	}
	list, err := c.alerts.List(r.Context(), c.alertActor(v), f)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	for _, a := range list {
		view.Alerts = append(view.Alerts, c.toAlertRow(a))
	}
	switch q.Get("done") {
	case "ack":
		view.Notice = "Alert acknowledged."
	case "close":
		view.Notice = "Alert closed."
	}
	c.render(w, r, http.StatusOK, "alerts", v, view)
}
