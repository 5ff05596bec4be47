package console

import (
	"errors"
	"net/http"
	"net/netip"

	"schoolgate/internal/identity"
)

// loginCheck checks a username and password through the directory (its
// argon2id hashes and rate limits). Success: a new session (a new id,
// whatever cookie came in) and 303 on to the second factor or the
// dashboard. Failure: the form again, 200, no cookie. Both are audited.
func (c *Console) loginCheck(w http.ResponseWriter, r *http.Request, old *visit) {
	f := readLoginForm(r)
	if ferr := f.Validate(); ferr != nil {
		c.render(w, r, http.StatusOK, "login", nil, c.loginPage(loginView{Username: f.Username, Error: ferr.Msg, Field: ferr.Field}))
		return
	}
	ctx := r.Context()
	addr, _ := netip.ParseAddr(clientAddr(r))
	u, err := c.dir.Authenticate(ctx, f.Username, f.Password, addr)
	msg := ""
	switch {
	case err == nil && !canSignIn(u.Roles):
		msg = "This account cannot sign in to the console."
	case errors.Is(err, identity.ErrBadCredentials), errors.Is(err, identity.ErrDisabled):
		msg = "Wrong username or password."
	case errors.Is(err, identity.ErrRateLimited), errors.Is(err, identity.ErrBusy):
		msg = err.Error() + "."
	case err != nil:
		c.fail(w, r, nil, err)
		return
	}
	if msg != "" {
		var roles []identity.Role
		if u != nil {
			roles = u.Roles
		}
		if aerr := c.audit(ctx, r, f.Username, roles, "console.signin.fail", "user:"+f.Username, map[string]any{"why": msg}); aerr != nil {
			c.fail(w, r, nil, aerr)
			return
		}
		c.render(w, r, http.StatusOK, "login", nil, c.loginPage(loginView{Username: f.Username, Error: msg, Field: "username"}))
		return
	}
	if old != nil {
		c.endSession(ctx, w, old.sess.IDHash)
	}
	if err := c.audit(ctx, r, u.Username, u.Roles, "console.signin", "user:"+u.Username, map[string]any{"second_factor_due": needsSecondFactor(u.Roles)}); err != nil {
		c.fail(w, r, nil, err)
		return
	}
	if err := c.startSession(ctx, w, r, u); err != nil {
		c.fail(w, r, nil, err)
		return
	}
	next := "/"
	if needsSecondFactor(u.Roles) {
		next = "/totp"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
