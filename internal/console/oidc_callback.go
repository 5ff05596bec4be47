package console

import (
	"errors"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// oidcCallback finishes a provider sign-in: the state must match the
// signed cookie, the code is exchanged with the PKCE verifier, the ID
// token verified against the provider's keys (issuer, audience, expiry)
// and its nonce checked; then the person is matched (matchOIDC) and a
// session begins — already past the second factor when the provider
// asserts MFA (amr contains mfa). Every outcome is audited.
func (c *Console) oidcCallback(w http.ResponseWriter, r *http.Request, old *visit) {
	ctx := r.Context()
	name := r.PathValue("provider")
	st, err := c.oidcStateFrom(w, r)
	fail := func(why string) {
		if aerr := c.audit(ctx, r, "oidc:"+name, nil, "console.signin.fail", "oidc:"+name, map[string]any{"why": why}); aerr != nil {
			c.fail(w, r, nil, aerr)
			return
		}
		c.render(w, r, http.StatusOK, "login", nil, c.loginPage(loginView{Error: "Sign-in refused: " + why + "."}))
	}
	if err != nil && !errors.Is(err, errBadState) {
		c.fail(w, r, nil, err)
		return
	}
	if err != nil || st.Provider != name || r.URL.Query().Get("state") == "" || r.URL.Query().Get("state") != st.State {
		fail(errBadState.Error())
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		fail("the provider answered " + e)
		return
	}
	cl, err := c.oidcProvider(ctx, name)
	if errors.Is(err, errNoProvider) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		c.log.Error("console: sign-in provider unavailable", "provider", name, "err", err)
		fail("the provider cannot be reached")
		return
	}
	tok, err := cl.oauth(c.callbackURL(r, name)).Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		fail("the provider did not accept the sign-in code")
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		fail("the provider sent no ID token")
		return
	}
	idt, err := cl.verifier(c.now).Verify(ctx, raw)
	if err != nil {
		fail("the ID token is not valid (" + tokenProblem(err) + ")")
		return
	}
	if idt.Nonce != st.Nonce {
		fail("the ID token was not issued for this sign-in (nonce)")
		return
	}
	var claims oidcClaims
	if err := idt.Claims(&claims); err != nil {
		fail("the ID token's claims cannot be read")
		return
	}
	u, err := c.matchOIDC(ctx, cl.cfg, claims)
	var ref *signInRefusal
	if errors.As(err, &ref) {
		fail(ref.msg)
		return
	}
	if err != nil {
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
	mfa := claims.mfa()
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

// tokenProblem is a verification error in a few words.
func tokenProblem(err error) string {
	switch msg := err.Error(); {
	case strings.Contains(msg, "expired"):
		return "expired"
	case strings.Contains(msg, "issuer"):
		return "wrong issuer"
	case strings.Contains(msg, "audience"):
		return "not for this console"
	case strings.Contains(msg, "signature"):
		return "bad signature"
	}
	return "rejected"
}
