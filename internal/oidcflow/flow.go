package oidcflow

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// ErrUnreachable: the provider's discovery failed (wrapped with why).
var ErrUnreachable = errors.New("the provider cannot be reached")

func newSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Start begins a sign-in with cl: a fresh state, nonce and PKCE verifier
// in the signed cookie; it returns the provider's URL to send the person
// to.
func (f *Flow) Start(ctx context.Context, w http.ResponseWriter, cl *Client, callback string) (string, error) {
	st := State{Provider: cl.Cfg.Name, State: newSecret(24), Nonce: newSecret(24), Verifier: oauth2.GenerateVerifier(),
		Expires: f.Now().Add(StateTTL).Unix()}
	if err := f.setState(ctx, w, st); err != nil {
		return "", err
	}
	return cl.OAuth(callback).AuthCodeURL(st.State, oauth2.S256ChallengeOption(st.Verifier),
		oauth2.SetAuthURLParam("nonce", st.Nonce)), nil
}

// Finish checks the provider's callback for provider name: the state
// must match the signed cookie, the code is exchanged with the PKCE
// verifier, the ID token verified against the provider's keys (issuer,
// audience, expiry) and its nonce checked. lookup finds the provider
// (after the state is checked). A refused sign-in is a *Refusal (in
// words for the page and audit); an unknown provider ErrNoProvider; a
// failed discovery wraps ErrUnreachable.
func (f *Flow) Finish(ctx context.Context, w http.ResponseWriter, r *http.Request, name string,
	lookup func() (*Client, error), callback string) (Claims, *Client, error) {
	st, err := f.stateFrom(w, r)
	if err != nil && !errors.Is(err, ErrBadState) {
		return nil, nil, err
	}
	q := r.URL.Query()
	if err != nil || st.Provider != name || q.Get("state") == "" || q.Get("state") != st.State {
		return nil, nil, refuse("%s", ErrBadState.Error())
	}
	if e := q.Get("error"); e != "" {
		return nil, nil, refuse("the provider answered %s", e)
	}
	cl, err := lookup()
	if errors.Is(err, ErrNoProvider) {
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	tok, err := cl.OAuth(callback).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return nil, cl, refuse("the provider did not accept the sign-in code")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, cl, refuse("the provider sent no ID token")
	}
	idt, err := cl.Verifier(f.Now).Verify(ctx, raw)
	if err != nil {
		return nil, cl, refuse("the ID token is not valid (%s)", tokenProblem(err))
	}
	if idt.Nonce != st.Nonce {
		return nil, cl, refuse("the ID token was not issued for this sign-in (nonce)")
	}
	var claims Claims
	if err := idt.Claims(&claims); err != nil {
		return nil, cl, refuse("the ID token's claims cannot be read")
	}
	return claims, cl, nil
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
