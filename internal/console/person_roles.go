package console

import (
	"net/http"
	"net/url"
	"strings"
)

// personRoles changes a person's roles: a fresh TOTP code confirms it,
// and the domain enforces who may give which role.
func (c *Console) personRoles(w http.ResponseWriter, r *http.Request, v *visit) {
	name, ferr := confirmPerson(r)
	f := rolesForm{Code: strings.TrimSpace(r.PostFormValue("code"))}
	if ferr == nil {
		f.Roles, ferr = readRoles(r)
	}
	if ferr == nil {
		ferr = f.Validate()
	}
	if ferr != nil {
		c.showPerson(w, r, v, http.StatusUnprocessableEntity, personView{Error: ferr.Error()})
		return
	}
	if ok, err := c.reconfirm(r, v, f.Code); err != nil {
		c.fail(w, r, v, err)
		return
	} else if !ok {
		c.showPerson(w, r, v, http.StatusUnprocessableEntity, personView{Error: fieldErr("code", "that code is wrong or already used: wait for the next one").Error()})
		return
	}
	if err := c.people().SetRoles(r.Context(), v.actor, name, f.Roles); err != nil {
		status, ok := peopleStatus(err)
		if !ok {
			c.fail(w, r, v, err)
			return
		}
		c.showPerson(w, r, v, status, personView{Error: err.Error()})
		return
	}
	http.Redirect(w, r, "/people/"+url.PathEscape(name)+"?done=roles", http.StatusSeeOther)
}
