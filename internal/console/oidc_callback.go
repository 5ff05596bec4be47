package console

import (
	"errors"
	"net/http"

	"schoolgate/internal/identity"
	"schoolgate/internal/oidcflow"
	"schoolgate/internal/oidcflow/oidcstore"
)

// oidcCallback finishes a provider sign-in: the state must match the
// signed cookie, the code is exchanged with the PKCE verifier, the ID
// token verified against the provider's keys (issuer, audience, expiry)
// and its nonce checked; then the person is matched (oidcflow.Match) and a
// session begins — already past the second factor when the provider
// asserts MFA (amr contains mfa). Every outcome is audited.
func (c *Console) oidcCallback(w http.ResponseWriter, r *http.Request, old *visit) {
	ctx := r.Context()
	name := r.PathValue("provider")
	fail := func(why string) {
		if aerr := c.audit(ctx, r, "oidc:"+name, nil, "console.signin.fail", "oidc:"+name, map[string]any{"why": why}); aerr != nil {
			c.fail(w, r, nil, aerr)
			return
		}
		c.render(w, r, http.StatusOK, "login", nil, c.loginPage(loginView{Error: "Sign-in refused: " + why + "."}))
	}
	claims, cl, err := c.oidcFlow().Finish(ctx, w, r, name, func() (*oidcflow.Client, error) { return c.oidcProvider(ctx, name) }, c.callbackURL(r, name))
	var u *identity.User
	if err == nil {
		u, err = oidcflow.Match(ctx, oidcstore.New(c.st), cl.Cfg, claims)
	}
	var ref *oidcflow.Refusal
	switch {
	case errors.As(err, &ref):
		fail(ref.Msg)
		return
	case errors.Is(err, oidcflow.ErrNoProvider):
		http.NotFound(w, r)
		return
	case errors.Is(err, oidcflow.ErrUnreachable):
		c.log.Error("console: sign-in provider unavailable", "provider", name, "err", err)
		fail("the provider cannot be reached")
		return
	case err != nil:
		c.fail(w, r, nil, err)
		return
	}
	if !canSignIn(u.Roles) {
		if aerr := c.audit(ctx, r, u.Username, u.Roles, "console.signin.fail", "user:"+u.Username, map[string]any{"why": "cannot sign in", "provider": name}); aerr != nil {
			c.fail(w, r, nil, aerr)
			return
		}
		c.render(w, r, http.StatusOK, "login", nil, c.loginPage(loginView{Error: "This account cannot sign in to the console."}))
		return
	}
	if old != nil {
		c.endSession(ctx, w, old.sess.IDHash)
	}
	mfa := claims.MFA()
	if err := c.audit(ctx, r, u.Username, u.Roles, "console.signin", "user:"+u.Username,
		map[string]any{"provider": name, "provider_mfa": mfa, "second_factor_due": needsSecondFactor(u.Roles) && !mfa}); err != nil {
		c.fail(w, r, nil, err)
		return
	}
	if err := c.startSessionWith(ctx, w, r, u, mfa); err != nil {
		c.fail(w, r, nil, err)
		return
	}
	next := "/"
	if needsSecondFactor(u.Roles) && !mfa {
		next = "/totp"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
