package console

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// personForm adds a person.
type personForm struct {
	Username, DisplayName, YearGroup string
	Roles                            []identity.Role
	Code                             string
}

// rolesForm changes a person's roles; a fresh TOTP code confirms it.
type rolesForm struct {
	Roles []identity.Role
	Code  string
}

// readRoles reads the role checkboxes; an unknown role is a field error.
func readRoles(r *http.Request) ([]identity.Role, *FieldError) {
	var out []identity.Role
	for _, s := range r.PostForm["role"] {
		role, err := identity.ParseRole(s)
		if err != nil {
			return nil, fieldErr("role", "unknown role %q", s)
		}
		if !slices.Contains(out, role) {
			out = append(out, role)
		}
	}
	return identity.SortRoles(out), nil
}

func readPersonForm(r *http.Request) (personForm, *FieldError) {
	f := personForm{Username: strings.ToLower(strings.TrimSpace(r.PostFormValue("username"))),
		DisplayName: strings.TrimSpace(r.PostFormValue("display_name")), YearGroup: strings.TrimSpace(r.PostFormValue("year_group")),
		Code: strings.TrimSpace(r.PostFormValue("code"))}
	roles, ferr := readRoles(r)
	f.Roles = roles
	return f, ferr
}

func (f personForm) Validate() *FieldError {
	if f.Username == "" {
		return fieldErr("username", "enter a username")
	}
	if err := store.CheckUsername(f.Username); err != nil {
		return fieldErr("username", "%v", err)
	}
	if len(f.Roles) == 0 {
		return fieldErr("role", "choose at least one role")
	}
	if f.Code == "" {
		return fieldErr("code", "giving roles asks for a fresh code from your authenticator app")
	}
	return nil
}

func (f rolesForm) Validate() *FieldError {
	if len(f.Roles) == 0 {
		return fieldErr("role", "choose at least one role (disable the account instead of removing every role)")
	}
	if f.Code == "" {
		return fieldErr("code", "changing roles asks for a fresh code from your authenticator app")
	}
	return nil
}

// confirmPerson checks that an action's form is about the person in its
// address (the form carries their name): a stray or empty post does
// nothing.
func confirmPerson(r *http.Request) (string, *FieldError) {
	name := r.PathValue("name")
	if r.PostFormValue("person") != name {
		return name, fieldErr("person", "this form is not about %s: reload the page and try again", name)
	}
	return name, nil
}

// peopleStatus is the status for a people operation's error: 403 for a
// rule (with the rule's words shown), 404 for nobody by that name, 422
// for bad input; ok is false for an unexpected error (500).
func peopleStatus(err error) (int, bool) {
	switch {
	case errors.Is(err, safeguarding.ErrForbidden), errors.Is(err, safeguarding.ErrSLTOnly), errors.Is(err, safeguarding.ErrOwnAccount):
		return http.StatusForbidden, true
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, true
	case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrInvalid):
		return http.StatusUnprocessableEntity, true
	}
	return 0, false
}

// people is the domain's people operations over the console's store.
func (c *Console) people() *safeguarding.People {
	return safeguarding.NewPeople(c.st, identity.DefaultHashParams())
}
