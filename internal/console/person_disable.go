package console

import (
	"net/http"
	"net/url"
)

// personDisable disables an account; the store ends its console
// sessions, and its devices' proxy log-ins here end too.
func (c *Console) personDisable(w http.ResponseWriter, r *http.Request, v *visit) {
	c.setDisabled(w, r, v, true)
}

func (c *Console) setDisabled(w http.ResponseWriter, r *http.Request, v *visit, disabled bool) {
	name, ferr := confirmPerson(r)
	if ferr != nil {
		c.showPerson(w, r, v, http.StatusUnprocessableEntity, personView{Error: ferr.Error()})
		return
	}
	if err := c.people().SetDisabled(r.Context(), v.actor, name, disabled); err != nil {
		status, ok := peopleStatus(err)
		if !ok {
			c.fail(w, r, v, err)
			return
		}
		c.showPerson(w, r, v, status, personView{Error: err.Error()})
		return
	}
	done := "enabled"
	if disabled {
		done = "disabled"
		if err := c.endDevices(r, v, name); err != nil {
			c.fail(w, r, v, err)
			return
		}
	}
	http.Redirect(w, r, "/people/"+url.PathEscape(name)+"?done="+done, http.StatusSeeOther)
}
