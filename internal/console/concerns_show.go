package console

import (
	"net/http"
	"strings"

	"schoolgate/internal/store"
)

// concernsView lists concerns by status.
type concernsView struct {
	Status   string
	Concerns []concernRow
	Notice   string
}

type concernRow struct {
	store.Concern
	Who        string
	State      string
	Categories string
}

func (concernsView) title() string { return "Concerns" }

// concernState is a status in words: open is "new".
func concernState(s string) string {
	switch s {
	case store.ConcernOpen:
		return "new"
	case store.ConcernInProgress:
		return "in progress"
	}
	return s
}

func toConcernRow(k store.Concern, c *Console) concernRow {
	k.Created, k.LastSeen = k.Created.In(c.location()), k.LastSeen.In(c.location())
	row := concernRow{Concern: k, Who: k.User, State: concernState(k.Status), Categories: strings.Join(k.Categories, ", ")}
	if k.User == "" {
		row.Who = "device " + k.Client
	}
	return row
}

// concernsShow lists the concerns not closed (or all, or the closed):
// the list names people, so it is audited with the people it shows.
func (c *Console) concernsShow(w http.ResponseWriter, r *http.Request, v *visit) {
	status := r.URL.Query().Get("status")
	switch status {
	case "", "all", store.ConcernOpen, store.ConcernInProgress, store.ConcernClosed:
	default:
		http.Redirect(w, r, "/concerns", http.StatusSeeOther)
		return
	}
	all, err := c.st.ListConcerns(r.Context(), v.actorStore(), "")
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	view := concernsView{Status: status, Notice: noticeText(r.URL.Query().Get("done"))}
	var names named
	for _, k := range all {
		switch {
		case status == "" && k.Status == store.ConcernClosed:
			continue
		case status != "" && status != "all" && k.Status != status:
			continue
		}
		view.Concerns = append(view.Concerns, toConcernRow(k, c))
		names.add(k.User)
	}
	if err := c.auditVisit(r, v, "console.concerns.view", "concerns", map[string]any{"status": status, "users": names.users}); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "concerns", v, view)
}
