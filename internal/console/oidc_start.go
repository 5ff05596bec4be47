package console

import (
	"errors"
	"net/http"

	"golang.org/x/oauth2"
)

var errNoProvider = errors.New("no such sign-in provider")

// oidcStart sends the person to their provider: the authorisation-code
// flow with PKCE, a fresh state and nonce kept in a signed cookie.
func (c *Console) oidcStart(w http.ResponseWriter, r *http.Request, v *visit) {
	name := r.PathValue("provider")
	cl, err := c.oidcProvider(r.Context(), name)
	if errors.Is(err, errNoProvider) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		c.log.Error("console: sign-in provider unavailable", "provider", name, "err", err)
		c.render(w, r, http.StatusBadGateway, "login", nil, c.loginPage(loginView{Error: "That sign-in provider cannot be reached just now. Try again, or sign in with your Schoolgate password."}))
		return
	}
	st := oidcState{Provider: name, State: newSecret(24), Nonce: newSecret(24), Verifier: oauth2.GenerateVerifier(),
		Expires: c.now().Add(oidcStateTTL).Unix()}
	if err := c.setOIDCState(r.Context(), w, st); err != nil {
		c.fail(w, r, nil, err)
		return
	}
	url := cl.oauth(c.callbackURL(r, name)).AuthCodeURL(st.State, oauth2.S256ChallengeOption(st.Verifier),
		oauth2.SetAuthURLParam("nonce", st.Nonce))
	http.Redirect(w, r, url, http.StatusSeeOther)
}
