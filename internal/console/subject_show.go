package console

import (
	"net/http"
	"time"

	"schoolgate/internal/store"
)

// subjectListView lists subject-access requests and logs new ones.
type subjectListView struct {
	Requests []subjectRow
	Form     subjectOpenForm
	Error    string
	Today    string
}

type subjectRow struct {
	store.SubjectRequest
	Overdue  bool
	DaysLeft int
}

func (subjectListView) title() string { return "Subject access" }

// subjectShow lists the site's requests, open ones first by deadline.
func (c *Console) subjectShow(w http.ResponseWriter, r *http.Request, v *visit) {
	c.showSubjects(w, r, v, http.StatusOK, subjectListView{})
}

func (c *Console) showSubjects(w http.ResponseWriter, r *http.Request, v *visit, status int, view subjectListView) {
	list, err := c.sar.List(r.Context(), v.actor)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	now := c.now()
	var names []string
	for _, q := range list {
		q.ReceivedAt, q.DueAt = q.ReceivedAt.In(c.location()), q.DueAt.In(c.location())
		row := subjectRow{SubjectRequest: q}
		if q.Status == store.SubjectOpen {
			row.Overdue = now.After(q.DueAt)
			row.DaysLeft = int(q.DueAt.Sub(now).Hours() / 24)
		}
		view.Requests = append(view.Requests, row)
		names = append(names, q.Username)
	}
	view.Today = now.In(c.location()).Format(time.DateOnly)
	if err := c.auditVisit(r, v, "console.subject.list", "subject-requests", map[string]any{"users": names}); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, status, "subject_access", v, view)
}
