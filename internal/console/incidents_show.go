package console

import (
	"net/http"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// incidentsView is the incident log with its filters.
type incidentsView struct {
	Form       incidentListForm
	Incidents  []incidentSummary
	Categories []safeguarding.IncidentCategory
	Statuses   []string
	Error      string
	Notice     string
}

func (incidentsView) title() string { return "Incidents" }

// incidentsShow lists the incidents the visitor may see, newest first:
// all of them for those who lead on incidents, otherwise those they
// reported (an incident about staff they reported shows only that they
// did). The domain layer audits the view with the people it names.
func (c *Console) incidentsShow(w http.ResponseWriter, r *http.Request, v *visit) {
	form := readIncidentListForm(r.URL.Query())
	cats := c.inc.Categories()
	view := incidentsView{Form: form, Categories: cats, Statuses: []string{store.IncidentOpen, store.IncidentInvestigating, store.IncidentClosed}}
	if r.URL.Query().Get("done") == "recorded" {
		view.Notice = "Incident recorded."
	}
	filter, fe := form.Filter(c.location(), cats)
	if fe != nil {
		view.Error = fe.Error()
		c.render(w, r, http.StatusUnprocessableEntity, "incidents", v, view)
		return
	}
	list, err := c.inc.List(r.Context(), v.actor, filter)
	if err != nil {
		if status, _, ok := domainStatus(err); ok {
			c.render(w, r, status, "error", v, errorView{Title: "Not permitted", Message: err.Error()})
			return
		}
		c.fail(w, r, v, err)
		return
	}
	for _, in := range list {
		view.Incidents = append(view.Incidents, c.toIncidentSummary(in, cats))
	}
	c.render(w, r, http.StatusOK, "incidents", v, view)
}
