package console

import (
	"errors"
	"net/http"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// reviewCreate records the annual review.
func (c *Console) reviewCreate(w http.ResponseWriter, r *http.Request, v *visit) {
	f := readReviewForm(r)
	in, ferr := f.Validate()
	if ferr != nil {
		c.showReviews(w, r, v, http.StatusUnprocessableEntity, reviewsView{Form: f, Error: ferr.Error()})
		return
	}
	_, err := c.chk.RecordReview(r.Context(), v.actor, in)
	switch {
	case errors.Is(err, safeguarding.ErrInvalid), errors.Is(err, store.ErrInvalid):
		c.showReviews(w, r, v, http.StatusUnprocessableEntity, reviewsView{Form: f, Error: err.Error()})
		return
	case err != nil:
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/reviews?done=review", http.StatusSeeOther)
}
