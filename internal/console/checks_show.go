package console

import (
	"net/http"
	"strconv"
	"time"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// checksView lists the site's filtering checks, newest first, with the
// form to record one (for those who may), the review's status and the
// open findings.
type checksView struct {
	Checks       []store.Check
	CanRecord    bool
	Form         checkForm
	Now          string // the form's default time, site-local
	Review       safeguarding.ReviewStatus
	OpenFindings int64
	Notice       string
	Error        string
}

func (checksView) title() string { return "Filtering checks" }

// checksLimit is the number of checks listed.
const checksLimit = 200

func (c *Console) checksShow(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	view := checksView{}
	if q.Get("done") == "check" {
		view.Notice = "Check recorded."
	}
	if id, err := strconv.ParseInt(q.Get("corrects"), 10, 64); err == nil && id > 0 {
		view.Form.Corrects = strconv.FormatInt(id, 10) // "Correct this check" on a check's page
	}
	c.showChecks(w, r, v, http.StatusOK, view)
}

func (c *Console) showChecks(w http.ResponseWriter, r *http.Request, v *visit, status int, view checksView) {
	ctx := r.Context()
	loc := c.location()
	list, err := c.chk.ListChecks(ctx, v.actor, time.Time{}, time.Time{}, checksLimit)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	for i := range list {
		list[i].At = list[i].At.In(loc)
	}
	view.Checks = list
	if view.Review, err = c.chk.ReviewStatus(ctx, v.actor, loc); err != nil {
		c.fail(w, r, v, err)
		return
	}
	if view.OpenFindings, err = c.chk.CountOpenFindings(ctx, v.actor); err != nil {
		c.fail(w, r, v, err)
		return
	}
	view.CanRecord = safeguarding.Can(v.user.Roles, safeguarding.RecordChecks)
	view.Now = c.now().In(loc).Format("2006-01-02T15:04")
	c.render(w, r, status, "checks", v, view)
}
