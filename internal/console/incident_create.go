package console

import (
	"errors"
	"net/http"
	"strconv"

	"schoolgate/internal/safeguarding"
)

// incidentCreate records an incident with the evidence the form names,
// copied into the record in the same transaction. Then to the record
// when the visitor may open it, else to the list (a teacher who reports
// an incident about staff sees only that they did).
func (c *Console) incidentCreate(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	f := readIncidentForm(r)
	n, fe := f.Validate(c.location(), c.inc.Categories())
	if fe != nil {
		c.showIncidentNew(w, r, v, http.StatusUnprocessableEntity, incidentNewView{Form: f, Error: fe.Error(), Field: fe.Field})
		return
	}
	for _, e := range f.evidenceRefs() {
		copied, err := c.findEvidence(ctx, v, e.Kind, e.Ref)
		if _, _, refusal := domainStatus(err); err != nil && (refusal || errors.Is(err, errNoEvidence)) {
			c.showIncidentNew(w, r, v, http.StatusUnprocessableEntity, incidentNewView{Form: f})
			return
		}
		if err != nil {
			c.fail(w, r, v, err)
			return
		}
		n.Evidence = append(n.Evidence, safeguarding.Evidence{Kind: e.Kind, Ref: e.Ref, Copied: copied})
	}
	in, err := c.inc.Record(ctx, v.actor, n)
	if err != nil {
		status, _, ok := domainStatus(err)
		if !ok {
			c.fail(w, r, v, err)
			return
		}
		c.showIncidentNew(w, r, v, status, incidentNewView{Form: f, Error: err.Error(), Field: incidentErrField(err)})
		return
	}
	if id, err := strconv.ParseInt(f.Alert, 10, 64); err == nil && c.alerts != nil {
		// The alert points at the incident opened from it.
		if err := c.alerts.LinkIncident(ctx, v.actor, id, in.ID); err != nil {
			c.log.Error("console: linking an alert to its incident", "err", err)
		}
	}
	if in.AboutStaff && !safeguarding.Can(v.user.Roles, safeguarding.ReadStaffIncidents) {
		http.Redirect(w, r, "/incidents?done=recorded", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/incidents/"+strconv.FormatInt(in.ID, 10)+"?done=recorded", http.StatusSeeOther)
}
