package console

import (
	"errors"
	"net/http"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// setupDoneView follows the first account's creation.
type setupDoneView struct {
	Username string
}

func (setupDoneView) title() string { return "Console ready" }

// setupCheck creates the first console account with the set-up link's
// one-time token. The roles must include slt or technical (someone must
// be able to add everyone else).
func (c *Console) setupCheck(w http.ResponseWriter, r *http.Request, v *visit) {
	f, ferr := readSetupForm(r)
	if ferr == nil {
		ferr = f.Validate()
	}
	if !c.setupValid(f.Token) {
		c.render(w, r, http.StatusNotFound, "error", v, errorView{Title: "Set-up link not valid", Message: "This set-up link has been used or has expired."})
		return
	}
	if ferr != nil {
		view := newSetupView(f)
		view.Error, view.Field = ferr.Error(), ferr.Field
		c.render(w, r, http.StatusUnprocessableEntity, "setup", v, view)
		return
	}
	hash, err := identity.HashPassword(f.Password, identity.DefaultHashParams())
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	if err := store.CheckUsername(f.Username); err != nil {
		view := newSetupView(f)
		view.Error, view.Field = "username: "+err.Error(), "username"
		c.render(w, r, http.StatusUnprocessableEntity, "setup", v, view)
		return
	}
	if _, err := c.st.GetUser(r.Context(), f.Username); err == nil {
		view := newSetupView(f)
		view.Error, view.Field = "username: someone has that username already", "username"
		c.render(w, r, http.StatusUnprocessableEntity, "setup", v, view)
		return
	}
	if !c.spendSetup(f.Token) {
		c.render(w, r, http.StatusNotFound, "error", v, errorView{Title: "Set-up link not valid", Message: "This set-up link has just been used."})
		return
	}
	by := store.Actor{Name: "console-setup", From: clientAddr(r), Roles: identity.JoinRoles(f.Roles)}
	u := identity.User{Username: f.Username, DisplayName: f.DisplayName, Roles: identity.SortRoles(f.Roles)}
	if err := c.st.CreateUser(r.Context(), by, u, hash); err != nil {
		if errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrInvalid) {
			view := newSetupView(f)
			view.Error, view.Field = "username: "+err.Error(), "username"
			c.render(w, r, http.StatusUnprocessableEntity, "setup", v, view)
			return
		}
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "setup_done", v, setupDoneView{Username: u.Username})
}
