package console

import (
	"errors"
	"net/http"
	"strconv"

	"schoolgate/internal/store"
)

// concernView is one concern with its notes and status form.
type concernView struct {
	Concern concernRow
	Notes   []store.ConcernNote
	Notice  string
	Error   string
	Note    string // a note refused, to edit
}

func (concernView) title() string { return "Concern" }

// concernShow opens one concern: audited (the store records the read of
// the concern, the console the view of the person who raised it).
func (c *Console) concernShow(w http.ResponseWriter, r *http.Request, v *visit) {
	c.showConcern(w, r, v, http.StatusOK, concernView{Notice: concernNotice(r.URL.Query().Get("done"))})
}

func (c *Console) showConcern(w http.ResponseWriter, r *http.Request, v *visit, status int, view concernView) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	k, err := c.st.GetConcern(r.Context(), v.actorStore(), id)
	if errors.Is(err, store.ErrNotFound) {
		c.render(w, r, http.StatusNotFound, "error", v, errorView{Title: "No such concern", Message: "There is no concern with that number."})
		return
	}
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	if k.User != "" {
		if err := c.auditVisit(r, v, "console.concern.view", "user:"+k.User, map[string]any{"concern": id}); err != nil {
			c.fail(w, r, v, err)
			return
		}
	}
	if view.Notes, err = c.st.ConcernNotes(r.Context(), id); err != nil {
		c.fail(w, r, v, err)
		return
	}
	for i := range view.Notes {
		view.Notes[i].At = view.Notes[i].At.In(c.location())
	}
	view.Concern = toConcernRow(k, c)
	c.render(w, r, status, "concern", v, view)
}

func concernNotice(done string) string {
	switch done {
	case "status":
		return "Status changed."
	case "note":
		return "Note added."
	}
	return ""
}
