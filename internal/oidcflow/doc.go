// Package oidcflow is the provider-independent part of an OpenID Connect
// sign-in that the console (/login/oidc/) and the captive portal's
// sign-in page (/signin/oidc/) share: the providers' discovery, the
// authorisation-code flow with PKCE, state and nonce carried in a signed
// cookie, the ID token's verification, and the matching of its claims to
// a directory person (bound to the provider's subject the first time).
// The callers keep their own pages, audit and sessions.
package oidcflow
