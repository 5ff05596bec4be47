package console

import "net/http"

// personPassword gives a person a new random password and shows it once
// (the page is not cached; the audit trail records the reset, never the
// password).
func (c *Console) personPassword(w http.ResponseWriter, r *http.Request, v *visit) {
	name, ferr := confirmPerson(r)
	if ferr != nil {
		c.showPerson(w, r, v, http.StatusUnprocessableEntity, personView{Error: ferr.Error()})
		return
	}
	pw, err := c.people().ResetPassword(r.Context(), v.actor, name)
	if err != nil {
		status, ok := peopleStatus(err)
		if !ok {
			c.fail(w, r, v, err)
			return
		}
		c.showPerson(w, r, v, status, personView{Error: err.Error()})
		return
	}
	c.showPerson(w, r, v, http.StatusOK, personView{Password: pw, Notice: "New password set. It is shown only this once."})
}
