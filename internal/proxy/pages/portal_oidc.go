package pages

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/oidcflow"
)

// The sign-in page's OpenID Connect providers (identity.oidc): a button
// per provider sends the device to /signin/oidc/NAME, then to the
// provider, then back to /signin/oidc/NAME/callback, where the person is
// matched to the directory exactly as the console matches them
// (oidcflow.Match: not in the directory is refused unless
// auto_create_role; disabled is refused) and the device's address is
// mapped to them exactly as after the password form (signedIn).

// OIDCPrefix is the providers' sign-in paths' prefix.
const OIDCPrefix = "/signin/oidc/"

// portalProvider is a provider's button on the sign-in page.
type portalProvider struct{ Name, Title string }

// oidcFlow is the portal's sign-in in flight: its own cookie and key
// (not the console's), Secure when the request came over HTTPS.
func (p *Pages) oidcFlow(r *http.Request) *oidcflow.Flow {
	return &oidcflow.Flow{Store: p.o.OIDCStore, Now: p.o.Now, Cookie: "sg_portal_oidc", Path: OIDCPrefix,
		KeyName: "portal-oidc-state", Secure: r.TLS != nil}
}

// providers are the buttons the sign-in page shows (none without the
// database, which binds the provider's accounts to people).
func (p *Pages) providers() []portalProvider {
	if p.o.OIDCStore == nil || p.o.Engine == nil || p.o.Sessions == nil {
		return nil
	}
	var out []portalProvider
	for _, o := range p.o.Engine.Snapshot().Config().Identity.OIDC {
		title := o.Title
		if title == "" {
			title = "Sign in with " + o.Name
		}
		out = append(out, portalProvider{Name: o.Name, Title: title})
	}
	return out
}

// portalOIDC answers GET /signin/oidc/NAME (start) and its callback.
func (p *Pages) portalOIDC(w http.ResponseWriter, r *http.Request, v Visitor) {
	rest := strings.TrimPrefix(r.URL.Path, OIDCPrefix)
	name, callback := strings.CutSuffix(rest, "/callback")
	if r.Method != http.MethodGet || name == "" || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	if p.providers() == nil {
		p.portalPage(w, r, http.StatusServiceUnavailable, v, "Signing in is not available: ask a member of staff.", time.Time{}, "")
		return
	}
	cfg := p.o.Engine.Snapshot().Config()
	lookup := func() (*oidcflow.Client, error) { return p.o.OIDC.Provider(r.Context(), cfg, name) }
	back := p.oidcCallbackURL(r, name)
	if !callback {
		cl, err := lookup()
		if errors.Is(err, oidcflow.ErrNoProvider) {
			http.NotFound(w, r)
			return
		}
		if err == nil {
			var url string
			if url, err = p.oidcFlow(r).Start(r.Context(), w, cl, back); err == nil {
				http.Redirect(w, r, url, http.StatusSeeOther)
				return
			}
		}
		p.o.Log.Error("portal: sign-in provider unavailable", "provider", name, "err", err)
		p.portalPage(w, r, http.StatusBadGateway, v, "That sign-in provider cannot be reached just now: try again, or sign in with your username and password.", time.Time{}, "")
		return
	}
	claims, cl, err := p.oidcFlow(r).Finish(r.Context(), w, r, name, lookup, back)
	if err == nil {
		var u *identity.User
		if u, err = oidcflow.Match(r.Context(), p.o.OIDCStore, cl.Cfg, claims); err == nil {
			if err = p.o.Sessions.Ended(v.Client, u.Username); err == nil {
				p.signedIn(w, r, v, *u)
				return
			}
		}
	}
	var ref *oidcflow.Refusal
	switch {
	case errors.As(err, &ref):
		// Who tried is not logged, only the kind of failure.
		p.o.Log.Info("portal: sign-in failed", "reason", "provider sign-in refused", "provider", name)
		p.portalPage(w, r, http.StatusForbidden, v, "Sign-in refused: "+ref.Msg+".", time.Time{}, "")
	case errors.Is(err, oidcflow.ErrNoProvider):
		http.NotFound(w, r)
	default:
		// Not the error itself: the store's name the person.
		status, msg, reason := signInRefusal(err)
		p.o.Log.Warn("portal: sign-in failed", "reason", reason, "provider", name)
		p.portalPage(w, r, status, v, msg, time.Time{}, "")
	}
}

// oidcCallbackURL is where the provider sends the device back: the name
// it asked for, on the scheme it came over.
func (p *Pages) oidcCallbackURL(r *http.Request, name string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if r.URL.Host != "" { // an absolute-form proxy request
		host = r.URL.Host
	}
	return scheme + "://" + host + OIDCPrefix + name + "/callback"
}
