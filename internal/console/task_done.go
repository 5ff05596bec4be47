package console

import (
	"net/http"
	"strconv"
	"strings"
)

// taskDone marks a technical task done, with notes on what was done.
func (c *Console) taskDone(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	notes := strings.TrimSpace(r.PostFormValue("notes"))
	if notes == "" {
		c.showTasks(w, r, v, http.StatusUnprocessableEntity, tasksView{Error: "notes: say what was done"})
		return
	}
	if err := c.sanc.CompleteTask(r.Context(), v.actor, id, notes); err != nil {
		if status, _, ok := domainStatus(err); ok && status == http.StatusUnprocessableEntity {
			c.showTasks(w, r, v, status, tasksView{Error: err.Error()})
			return
		}
		c.sanctionPageError(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/tasks?done=1", http.StatusSeeOther)
}
