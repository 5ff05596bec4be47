package console

import (
	"net/http"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// findingsView lists the findings: open first, each with its resolve
// form, then the resolved.
type findingsView struct {
	Open, Resolved []store.Finding
	CanRecord      bool
	Notice         string
	Error          string
}

func (findingsView) title() string { return "Findings" }

func (c *Console) findingsShow(w http.ResponseWriter, r *http.Request, v *visit) {
	view := findingsView{}
	if r.URL.Query().Get("done") == "resolved" {
		view.Notice = "Finding resolved."
	}
	c.showFindings(w, r, v, http.StatusOK, view)
}

func (c *Console) showFindings(w http.ResponseWriter, r *http.Request, v *visit, status int, view findingsView) {
	all, err := c.chk.ListFindings(r.Context(), v.actor, false, 500)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	loc := c.location()
	for _, f := range all {
		f.RaisedAt, f.ResolvedAt = f.RaisedAt.In(loc), f.ResolvedAt.In(loc)
		if f.Open() {
			view.Open = append(view.Open, f)
		} else {
			view.Resolved = append(view.Resolved, f)
		}
	}
	view.CanRecord = safeguarding.Can(v.user.Roles, safeguarding.RecordChecks)
	c.render(w, r, status, "findings", v, view)
}
