package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// incidentNewView is the form that records an incident.
type incidentNewView struct {
	Form       incidentForm
	Categories []safeguarding.IncidentCategory
	Directory  []string // usernames to suggest
	Evidence   []evidenceRow
	Error      string
	Field      string
}

func (incidentNewView) title() string { return "Record an incident" }

// incidentNew is the empty form; ?event=, ?concern= and ?alert= name
// evidence to link, shown (copied only when the incident is recorded)
// so the reporter sees what they attach.
func (c *Console) incidentNew(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	f := incidentForm{Event: strings.TrimSpace(q.Get("event")), Concern: strings.TrimSpace(q.Get("concern")), Alert: strings.TrimSpace(q.Get("alert")),
		People: strings.TrimSpace(q.Get("person")), OccurredAt: c.now().In(c.location()).Format("2006-01-02T15:04")}
	c.showIncidentNew(w, r, v, http.StatusOK, incidentNewView{Form: f})
}

func (c *Console) showIncidentNew(w http.ResponseWriter, r *http.Request, v *visit, status int, view incidentNewView) {
	ctx := r.Context()
	view.Categories = c.inc.Categories()
	for _, e := range view.Form.evidenceRefs() {
		copied, err := c.findEvidence(ctx, v, e.Kind, e.Ref)
		if _, _, refusal := domainStatus(err); err != nil && !refusal && !errors.Is(err, errNoEvidence) {
			c.fail(w, r, v, err)
			return
		}
		if err != nil {
			// Not there, not for this reader, or of no kind we keep: the
			// same answer, which says nothing of what exists.
			view.Error, view.Field = "The "+e.Kind+" "+e.Ref+" cannot be linked: there is none that you may link.", evidenceField(e.Kind)
			if status == http.StatusOK {
				status = http.StatusUnprocessableEntity
			}
			continue
		}
		data, err := json.Marshal(copied)
		if err != nil {
			c.fail(w, r, v, err)
			return
		}
		view.Evidence = append(view.Evidence, c.evidenceRows([]store.IncidentEvidence{{Kind: e.Kind, Ref: e.Ref, Copied: string(data)}})...)
	}
	users, err := c.st.ListUsers(ctx, v.actor.Site)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	for _, u := range users {
		if !u.Disabled {
			view.Directory = append(view.Directory, u.Username)
		}
	}
	c.render(w, r, status, "incident_new", v, view)
}
