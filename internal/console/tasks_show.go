package console

import (
	"net/http"
	"time"

	"schoolgate/internal/store"
)

// tasksView is the technical staff's list of referrals "for action re
// filtering": each one links to the policy and to the requests flow,
// and is marked done with notes.
type tasksView struct {
	All    bool
	Tasks  []taskRow
	Notice string
	Error  string
}

type taskRow struct {
	store.SanctionTask
	Created, DoneAt time.Time
	Note            string
}

func (tasksView) title() string { return "Tasks" }

// tasksShow lists the open tasks (?all=1: done ones too).
func (c *Console) tasksShow(w http.ResponseWriter, r *http.Request, v *visit) {
	notice := ""
	if r.URL.Query().Get("done") == "1" {
		notice = "Task marked done."
	}
	c.showTasks(w, r, v, http.StatusOK, tasksView{All: r.URL.Query().Get("all") == "1", Notice: notice})
}

func (c *Console) showTasks(w http.ResponseWriter, r *http.Request, v *visit, status int, view tasksView) {
	list, err := c.sanc.Tasks(r.Context(), v.actor, view.All)
	if err != nil {
		c.sanctionPageError(w, r, v, err)
		return
	}
	loc := c.location()
	for _, k := range list {
		row := taskRow{SanctionTask: k, Created: k.Created.In(loc)}
		if !k.DoneAt.IsZero() {
			row.DoneAt = k.DoneAt.In(loc)
		}
		if sv := c.sanc.Views(store.Sanction{Details: k.Details}); len(sv) == 1 {
			row.Note = sv[0].Note
		}
		view.Tasks = append(view.Tasks, row)
	}
	c.render(w, r, status, "tasks", v, view)
}
