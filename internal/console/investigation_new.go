package console

import (
	"errors"
	"net/http"
	"strconv"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// investigationNewView is the opening form.
type investigationNewView struct {
	Incident store.Incident
	Reasons  []safeguarding.InvestigationReason
	Form     investigationOpenForm
	Error    string
}

func (investigationNewView) title() string { return "Open an investigation" }

// investigationNew shows the opening form of an incident's record, or
// goes to the record when there is one.
func (c *Console) investigationNew(w http.ResponseWriter, r *http.Request, v *visit) {
	c.showInvestigationNew(w, r, v, http.StatusOK, investigationOpenForm{Group: "Online safety group", Date: c.now().In(c.location()).Format("2006-01-02")}, "")
}

func (c *Console) showInvestigationNew(w http.ResponseWriter, r *http.Request, v *visit, status int, f investigationOpenForm, msg string) {
	incident, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	a := c.siteActor(v)
	if id, err := c.inv.OfIncident(r.Context(), a, incident); err == nil {
		http.Redirect(w, r, "/investigations/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		c.investigationFail(w, r, v, 0, err)
		return
	}
	in, err := c.inv.Incident(r.Context(), a, incident)
	if err != nil {
		c.investigationFail(w, r, v, 0, err)
		return
	}
	in.OccurredAt = in.OccurredAt.In(c.location())
	c.render(w, r, status, "investigation_new", v, investigationNewView{Incident: in, Reasons: c.inv.Reasons(), Form: f, Error: msg})
}

// investigationOpen opens the record (the incident goes under
// investigation) and goes to it.
func (c *Console) investigationOpen(w http.ResponseWriter, r *http.Request, v *visit) {
	incident, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	f := readInvestigationOpenForm(r)
	rec, err := c.inv.Open(r.Context(), c.siteActor(v), incident, f.domain())
	if errors.Is(err, store.ErrExists) {
		http.Redirect(w, r, "/incidents/"+strconv.FormatInt(incident, 10)+"/investigation", http.StatusSeeOther)
		return
	}
	if msg := investigationRefusal(err); msg != "" {
		c.showInvestigationNew(w, r, v, http.StatusUnprocessableEntity, f, msg)
		return
	}
	if err != nil {
		c.investigationFail(w, r, v, 0, err)
		return
	}
	http.Redirect(w, r, "/investigations/"+strconv.FormatInt(rec.ID, 10)+"?done=open", http.StatusSeeOther)
}
