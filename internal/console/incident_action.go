package console

import (
	"net/http"
	"strconv"
)

// incidentAction appends an action taken (what; by the visitor, now).
func (c *Console) incidentAction(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := incidentID(w, r)
	if !ok {
		return
	}
	_, err := c.inc.AddAction(r.Context(), v.actor, id, r.PostFormValue("action"))
	c.incidentDone(w, r, v, id, err, "action", "action")
}

// incidentID reads the path's incident number (404 when it is none).
func incidentID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		http.NotFound(w, r)
		return 0, false
	}
	return id, true
}

// incidentDone ends a change to an incident: back to the record with
// its notice, or the record again with the error (naming field), or the
// refusal.
func (c *Console) incidentDone(w http.ResponseWriter, r *http.Request, v *visit, id int64, err error, done, field string) {
	if err == nil {
		http.Redirect(w, r, "/incidents/"+strconv.FormatInt(id, 10)+"?done="+done+"#history", http.StatusSeeOther)
		return
	}
	if status, _, ok := domainStatus(err); ok && status == http.StatusUnprocessableEntity {
		c.showIncident(w, r, v, status, incidentView{Error: err.Error(), Field: field})
		return
	}
	c.incidentRefused(w, r, v, err)
}
