package console

import (
	"net/http"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// alertView is one alert: its events, notes and the forms that handle it.
type alertView struct {
	Alert    alertRow
	Events   []store.AlertEvent
	Notes    []store.AlertNote
	Outcomes []string
	Incident bool // the visitor may open an incident from it
	Notice   string
	Error    string
}

func (alertView) title() string { return "Alert" }

// alertShow opens one alert (audited by the domain with the person it
// names); an alert the visitor may not see is not found.
func (c *Console) alertShow(w http.ResponseWriter, r *http.Request, v *visit) {
	view := alertView{}
	switch r.URL.Query().Get("done") {
	case "ack":
		view.Notice = "Acknowledged: escalation has stopped."
	case "close":
		view.Notice = "Closed."
	case "assign":
		view.Notice = "Assigned."
	case "note":
		view.Notice = "Note added."
	}
	c.showAlert(w, r, v, http.StatusOK, view)
}

func (c *Console) showAlert(w http.ResponseWriter, r *http.Request, v *visit, status int, view alertView) {
	id, ok := alertID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	rec, err := c.alerts.Get(r.Context(), c.alertActor(v), id)
	if st := alertStatus(err); st == http.StatusNotFound || st == http.StatusForbidden {
		c.render(w, r, st, "error", v, errorView{Title: "No such alert", Message: "There is no alert with that number that you may see."})
		return
	}
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	view.Alert, view.Events, view.Notes, view.Outcomes = c.toAlertRow(rec.Alert), rec.Events, rec.Notes, store.AlertOutcomes
	for i := range view.Events {
		view.Events[i].At = view.Events[i].At.In(c.location())
	}
	for i := range view.Notes {
		view.Notes[i].At = view.Notes[i].At.In(c.location())
	}
	view.Incident = safeguarding.Can(v.user.Roles, safeguarding.RecordIncident)
	c.render(w, r, status, "alert", v, view)
}
