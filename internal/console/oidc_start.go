package console

import (
	"errors"
	"net/http"

	"schoolgate/internal/oidcflow"
)

// oidcStart sends the person to their provider: the authorisation-code
// flow with PKCE, a fresh state and nonce kept in a signed cookie.
func (c *Console) oidcStart(w http.ResponseWriter, r *http.Request, v *visit) {
	name := r.PathValue("provider")
	cl, err := c.oidcProvider(r.Context(), name)
	if errors.Is(err, oidcflow.ErrNoProvider) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		c.log.Error("console: sign-in provider unavailable", "provider", name, "err", err)
		c.render(w, r, http.StatusBadGateway, "login", nil, c.loginPage(loginView{Error: "That sign-in provider cannot be reached just now. Try again, or sign in with your Schoolgate password."}))
		return
	}
	url, err := c.oidcFlow().Start(r.Context(), w, cl, c.callbackURL(r, name))
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
}
