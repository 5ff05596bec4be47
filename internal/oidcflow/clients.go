package oidcflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"schoolgate/internal/config"
)

// ErrNoProvider: the policy has no identity.oidc provider of that name.
var ErrNoProvider = errors.New("no such sign-in provider")

// Client is one configured provider, its discovery done.
type Client struct {
	Cfg      config.OIDCProvider
	provider *oidc.Provider
	secret   string
}

// Clients caches the providers' discovery documents, per configuration
// (a reload with a changed provider discovers again). The zero value is
// ready.
type Clients struct {
	// Discovered, when set before first use, is told each provider's
	// issuer and the authorisation and token endpoints its discovery
	// named (the portal's walled garden, policy.Engine.AddPortalHosts).
	Discovered func(issuer string, endpoints ...string)

	mu   sync.Mutex
	byID map[string]*Client
}

// Provider returns cfg's provider named name, discovered.
func (cs *Clients) Provider(ctx context.Context, cfg *config.Config, name string) (*Client, error) {
	var p *config.OIDCProvider
	for i := range cfg.Identity.OIDC {
		if cfg.Identity.OIDC[i].Name == name {
			p = &cfg.Identity.OIDC[i]
		}
	}
	if p == nil {
		return nil, ErrNoProvider
	}
	key := fmt.Sprintf("%+v", *p)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cl := cs.byID[key]; cl != nil {
		return cl, nil
	}
	secret, err := p.ClientSecret(cfg.Path)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	prov, err := oidc.NewProvider(oidc.ClientContext(dctx, &http.Client{Timeout: 10 * time.Second}), p.Issuer)
	if err != nil {
		return nil, fmt.Errorf("identity.oidc %s: discovery: %w", p.Name, err)
	}
	cl := &Client{Cfg: *p, provider: prov, secret: secret}
	if cs.Discovered != nil {
		ep := prov.Endpoint()
		cs.Discovered(p.Issuer, ep.AuthURL, ep.TokenURL)
	}
	if cs.byID == nil {
		cs.byID = map[string]*Client{}
	}
	cs.byID[key] = cl
	return cl, nil
}

// OAuth is the client's OAuth 2.0 configuration for a callback URL.
func (cl *Client) OAuth(callback string) *oauth2.Config {
	return &oauth2.Config{ClientID: cl.Cfg.ClientID, ClientSecret: cl.secret, Endpoint: cl.provider.Endpoint(),
		RedirectURL: callback, Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
}

// Verifier checks ID tokens: the provider's keys, issuer, audience and
// expiry against the caller's clock.
func (cl *Client) Verifier(now func() time.Time) *oidc.IDTokenVerifier {
	return cl.provider.Verifier(&oidc.Config{ClientID: cl.Cfg.ClientID, Now: now})
}
