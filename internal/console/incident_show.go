package console

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// incidentView is one incident's record: as first written, as it
// stands with its corrections, its history and its evidence, and the
// forms to add to it.
type incidentView struct {
	ID         int64
	Restricted bool
	AboutStaff bool
	Advice     string
	Original   incidentFields
	Current    incidentFields
	Corrected  bool
	People     []incidentPersonRow
	Status     string
	Outcome    string
	Closed     bool
	ReportedBy string
	ReportedAt time.Time
	ClosedAt   time.Time
	History    []historyRow
	Evidence   []evidenceRow
	Categories []safeguarding.IncidentCategory
	CanLead    bool // set the status, close
	// CanInvestigate and CanSanction link the incident's investigation
	// record and its sanctions.
	CanInvestigate, CanSanction bool
	Now                         string
	Notice                      string
	Error                       string
	Field                       string
}

func (v incidentView) title() string { return "Incident " + strconv.FormatInt(v.ID, 10) }

// incidentShow opens one incident (the domain layer audits the view,
// naming the people involved).
func (c *Console) incidentShow(w http.ResponseWriter, r *http.Request, v *visit) {
	c.showIncident(w, r, v, http.StatusOK, incidentView{Notice: incidentNotice(r.URL.Query().Get("done"))})
}

func (c *Console) showIncident(w http.ResponseWriter, r *http.Request, v *visit, status int, view incidentView) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	in, err := c.inc.Get(r.Context(), v.actor, id)
	if c.incidentRefused(w, r, v, err) {
		return
	}
	cats := c.inc.Categories()
	loc := c.location()
	view.ID, view.Restricted, view.AboutStaff, view.Categories = in.ID, in.Restricted, in.AboutStaff, cats
	view.Status, view.Outcome, view.Closed = in.Status, in.Outcome, in.Status == store.IncidentClosed
	view.ReportedBy, view.ReportedAt = in.ReportedBy, in.ReportedAt.In(loc)
	if !in.ClosedAt.IsZero() {
		view.ClosedAt = in.ClosedAt.In(loc)
	}
	view.Now = c.now().In(loc).Format("2006-01-02T15:04")
	if !in.Restricted {
		view.Original, view.Current = c.fields(in.Incident, cats), c.fields(in.Current, cats)
		view.Corrected = view.Original != view.Current
		view.People = peopleRows(in.Incident)
		view.History = c.historyRows(in.Entries, cats)
		view.Evidence = c.evidenceRows(in.Evidence)
		lead := safeguarding.ReadPupilIncidents
		if in.AboutStaff {
			lead = safeguarding.ReadStaffIncidents
			view.Advice = safeguarding.AboutStaffAdvice
		}
		view.CanLead = safeguarding.Can(v.user.Roles, lead)
		view.CanInvestigate = safeguarding.Can(v.user.Roles, safeguarding.Investigate) && (!in.AboutStaff || safeguarding.Can(v.user.Roles, safeguarding.ReadStaffIncidents))
		view.CanSanction = safeguarding.Can(v.user.Roles, safeguarding.Sanction) && (!in.AboutStaff || safeguarding.Can(v.user.Roles, safeguarding.ReadStaffIncidents))
	}
	c.render(w, r, status, "incident", v, view)
}

// incidentRefused answers a refusal of the incident log (403 naming the
// roles, 404, or the error page) and says whether it did.
func (c *Console) incidentRefused(w http.ResponseWriter, r *http.Request, v *visit, err error) bool {
	var fe *safeguarding.ForbiddenError
	switch {
	case err == nil:
		return false
	case errors.As(err, &fe):
		c.forbidden(w, r, v, fe.Capability)
	case errors.Is(err, store.ErrNotFound):
		c.render(w, r, http.StatusNotFound, "error", v, errorView{Title: "No such incident", Message: "There is no incident with that number."})
	default:
		c.fail(w, r, v, err)
	}
	return true
}

func incidentNotice(done string) string {
	switch done {
	case "recorded":
		return "Incident recorded."
	case "action":
		return "Action added."
	case "correction":
		return "Correction recorded; the original stays in the record."
	case "status":
		return "Status changed."
	case "closed":
		return "Incident closed."
	case "referral":
		return "Referral recorded."
	case "evidence":
		return "Evidence copied into the record."
	}
	return ""
}
