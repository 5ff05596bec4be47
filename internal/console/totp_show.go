package console

import (
	"errors"
	"net/http"

	"schoolgate/internal/store"
)

// totpView asks for the second factor.
type totpView struct {
	Error string
}

func (totpView) title() string { return "Your code" }

// totpShow asks for a TOTP code, or sends a person not yet enrolled to
// enrol.
func (c *Console) totpShow(w http.ResponseWriter, r *http.Request, v *visit) {
	if v.complete() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if _, err := c.st.GetConsoleTOTP(r.Context(), v.user.Username); errors.Is(err, store.ErrNotFound) {
		http.Redirect(w, r, "/totp/enrol", http.StatusSeeOther)
		return
	} else if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "totp", v, totpView{})
}
