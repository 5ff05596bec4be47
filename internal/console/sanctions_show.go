package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// sanctionsView is an incident's sanctions page: the tables'
// suggestions for its category, the form to record one, and those
// recorded (with revoke).
type sanctionsView struct {
	ID         int64
	Category   string
	Occurred   time.Time
	People     []string
	Pupils     []safeguarding.ActionChoice
	Staff      []safeguarding.ActionChoice
	Categories []categoryChoice
	List       []sanctionRow
	Form       sanctionForm
	Notice     string
	Error      string
}

type sanctionRow struct {
	safeguarding.SanctionView
	At, Until time.Time
	Told      time.Time
	What      string // a removal's scope in words
}

func (v sanctionsView) title() string { return "Sanctions for incident " + strconv.FormatInt(v.ID, 10) }

// sanctionsShow shows an incident's sanctions page.
func (c *Console) sanctionsShow(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	notice := map[string]string{"recorded": "Sanction recorded. A removal of access is in force at once.", "revoked": "Sanction revoked."}[r.URL.Query().Get("done")]
	c.showSanctions(w, r, v, id, http.StatusOK, sanctionsView{Notice: notice, Form: sanctionForm{For: "7d", Scope: safeguarding.ScopeAll}})
}

func (c *Console) showSanctions(w http.ResponseWriter, r *http.Request, v *visit, id int64, status int, view sanctionsView) {
	in, sug, err := c.sanc.Incident(r.Context(), v.actor, id)
	if err != nil {
		c.sanctionPageError(w, r, v, err)
		return
	}
	list, err := c.sanc.List(r.Context(), v.actor, id)
	if err != nil {
		c.sanctionPageError(w, r, v, err)
		return
	}
	loc := c.location()
	view.ID, view.Category, view.Occurred = in.ID, sug.Category.Title, in.OccurredAt.In(loc)
	view.Pupils, view.Staff = sug.Pupils, sug.Staff
	for _, p := range sug.People {
		view.People = append(view.People, p.Username)
	}
	snap := c.snap()
	for _, name := range snap.Categories() {
		i, _ := snap.CategoryIndex(name)
		view.Categories = append(view.Categories, categoryChoice{Name: name, Title: snap.CategoryTitle(i)})
	}
	for _, s := range list {
		row := sanctionRow{SanctionView: s, At: s.At.In(loc), Until: s.Until.In(loc), What: "every site"}
		if name, ok := strings.CutPrefix(s.Scope, safeguarding.ScopeCategoryPfx); ok {
			row.What = "only " + name
			if i, ok := snap.CategoryIndex(name); ok && snap.CategoryTitle(i) != "" {
				row.What = "only " + snap.CategoryTitle(i)
			}
		}
		if s.Informed != nil {
			row.Told = s.Informed.When.In(loc)
		}
		view.List = append(view.List, row)
	}
	c.render(w, r, status, "sanctions", v, view)
}

// sanctionPageError answers a domain refusal on the sanctions pages.
func (c *Console) sanctionPageError(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	var fe *safeguarding.ForbiddenError
	switch {
	case errors.As(err, &fe):
		c.forbidden(w, r, v, fe.Capability)
	case errors.Is(err, store.ErrNotFound):
		c.render(w, r, http.StatusNotFound, "error", v, errorView{Title: "Not found", Message: "There is no such incident or sanction."})
	default:
		c.fail(w, r, v, err)
	}
}
