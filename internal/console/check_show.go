package console

import (
	"errors"
	"net/http"
	"strconv"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// checkView is one check, the findings it raised (each with its resolve
// form) and the form to record a correction.
type checkView struct {
	Check     store.Check
	Findings  []store.Finding
	CanRecord bool
	Notice    string
}

func (checkView) title() string { return "Filtering check" }

func (c *Console) checkShow(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	k, fs, err := c.chk.GetCheck(r.Context(), v.actor, id)
	if errors.Is(err, store.ErrNotFound) {
		c.render(w, r, http.StatusNotFound, "error", v, errorView{Title: "No such check", Message: "There is no check with that number."})
		return
	}
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	loc := c.location()
	k.At, k.RecordedAt = k.At.In(loc), k.RecordedAt.In(loc)
	for i := range fs {
		fs[i].RaisedAt, fs[i].ResolvedAt = fs[i].RaisedAt.In(loc), fs[i].ResolvedAt.In(loc)
	}
	view := checkView{Check: k, Findings: fs, CanRecord: safeguarding.Can(v.user.Roles, safeguarding.RecordChecks)}
	switch r.URL.Query().Get("done") {
	case "check":
		view.Notice = "Check recorded."
		if len(fs) > 0 {
			view.Notice = "Check recorded. It raised a finding: it stays open on the dashboard until someone records how it was resolved."
		}
	case "resolved":
		view.Notice = "Finding resolved."
	}
	c.render(w, r, http.StatusOK, "check", v, view)
}
