package console

import (
	"net/http"

	"schoolgate/internal/identity"
)

// personAdd adds a person with roles (no password: reset it to give
// one). Giving roles asks for a fresh TOTP code; the role rules are the
// domain's.
func (c *Console) personAdd(w http.ResponseWriter, r *http.Request, v *visit) {
	f, ferr := readPersonForm(r)
	if ferr == nil {
		ferr = f.Validate()
	}
	if ferr != nil {
		c.showPeople(w, r, v, http.StatusUnprocessableEntity, peopleView{Form: f, Error: ferr.Error()})
		return
	}
	if ok, err := c.reconfirm(r, v, f.Code); err != nil {
		c.fail(w, r, v, err)
		return
	} else if !ok {
		c.showPeople(w, r, v, http.StatusUnprocessableEntity, peopleView{Form: f, Error: fieldErr("code", "that code is wrong or already used: wait for the next one").Error()})
		return
	}
	u := identity.User{Username: f.Username, DisplayName: f.DisplayName, YearGroup: f.YearGroup, Roles: f.Roles}
	if err := c.people().Add(r.Context(), v.actor, u); err != nil {
		status, ok := peopleStatus(err)
		if !ok {
			c.fail(w, r, v, err)
			return
		}
		c.showPeople(w, r, v, status, peopleView{Form: f, Error: err.Error()})
		return
	}
	http.Redirect(w, r, "/people/"+u.Username+"?done=added", http.StatusSeeOther)
}
