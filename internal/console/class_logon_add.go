package console

import (
	"errors"
	"net/http"
	"strings"

	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// classLogOnForm adds a shared class log-on for a KS1 group.
type classLogOnForm struct {
	Username, DisplayName, Group string
}

func readClassLogOnForm(r *http.Request) classLogOnForm {
	return classLogOnForm{Username: strings.ToLower(strings.TrimSpace(r.PostFormValue("username"))),
		DisplayName: strings.TrimSpace(r.PostFormValue("display_name")), Group: strings.TrimSpace(r.PostFormValue("group"))}
}

func (f classLogOnForm) Validate() *FieldError {
	if f.Username == "" {
		return fieldErr("username", "enter a username for the class, e.g. robins")
	}
	if err := store.CheckUsername(f.Username); err != nil {
		return fieldErr("username", "%v", err)
	}
	return nil
}

// classLogOnAdd makes a KS1 class's shared log-on and shows its password
// once, on the people page.
func (c *Console) classLogOnAdd(w http.ResponseWriter, r *http.Request, v *visit) {
	f := readClassLogOnForm(r)
	if fe := f.Validate(); fe != nil {
		c.showPeople(w, r, v, http.StatusUnprocessableEntity, peopleView{Class: f, Error: fe.Error()})
		return
	}
	u := identity.User{Username: f.Username, DisplayName: f.DisplayName, Groups: []string{f.Group}}
	pw, err := c.people().AddClassLogOn(r.Context(), v.actor, u, identity.SharedGroups(c.snap().Config().Identity))
	if err != nil {
		status, ok := peopleStatus(err)
		if errors.Is(err, safeguarding.ErrInvalid) {
			status, ok = http.StatusUnprocessableEntity, true
		}
		if !ok {
			c.fail(w, r, v, err)
			return
		}
		c.showPeople(w, r, v, status, peopleView{Class: f, Error: err.Error()})
		return
	}
	c.showPeople(w, r, v, http.StatusCreated, peopleView{ClassPassword: pw, ClassAdded: u.Username})
}
