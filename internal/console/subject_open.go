package console

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"schoolgate/internal/safeguarding"
)

// subjectOpen logs a request received (today, or on the date given).
func (c *Console) subjectOpen(w http.ResponseWriter, r *http.Request, v *visit) {
	f := readSubjectOpenForm(r)
	var at time.Time
	if f.Received != "" {
		t, err := time.ParseInLocation(time.DateOnly, f.Received, c.location())
		if err != nil {
			c.showSubjects(w, r, v, http.StatusUnprocessableEntity, subjectListView{Form: f, Error: "Received: give the date as YYYY-MM-DD."})
			return
		}
		at = t
	}
	q, err := c.sar.Open(r.Context(), v.actor, f.Username, at)
	switch {
	case errors.Is(err, safeguarding.ErrInvalid):
		c.showSubjects(w, r, v, http.StatusUnprocessableEntity, subjectListView{Form: f, Error: err.Error()})
		return
	case err != nil:
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/subject-access/"+strconv.FormatInt(q.ID, 10), http.StatusSeeOther)
}
