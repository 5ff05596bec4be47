package console

import (
	"net/http"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// reviewsView lists the annual reviews, latest first, with the form to
// record one.
type reviewsView struct {
	Reviews   []store.Review
	Status    safeguarding.ReviewStatus
	CanRecord bool
	Form      reviewForm
	Today     string
	Notice    string
	Error     string
}

func (reviewsView) title() string { return "Annual reviews" }

func (c *Console) reviewsShow(w http.ResponseWriter, r *http.Request, v *visit) {
	view := reviewsView{}
	if r.URL.Query().Get("done") == "review" {
		view.Notice = "Review recorded."
	}
	c.showReviews(w, r, v, http.StatusOK, view)
}

func (c *Console) showReviews(w http.ResponseWriter, r *http.Request, v *visit, status int, view reviewsView) {
	ctx := r.Context()
	var err error
	if view.Reviews, err = c.chk.ListReviews(ctx, v.actor, 100); err != nil {
		c.fail(w, r, v, err)
		return
	}
	if view.Status, err = c.chk.ReviewStatus(ctx, v.actor, c.location()); err != nil {
		c.fail(w, r, v, err)
		return
	}
	view.CanRecord = safeguarding.Can(v.user.Roles, safeguarding.RecordChecks)
	view.Today = c.now().In(c.location()).Format("2006-01-02")
	c.render(w, r, status, "reviews", v, view)
}
