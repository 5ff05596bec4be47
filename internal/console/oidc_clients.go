package console

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"schoolgate/internal/config"
)

// oidcClient is one configured provider, its discovery done.
type oidcClient struct {
	cfg      config.OIDCProvider
	provider *oidc.Provider
	secret   string
}

// oidcClients caches the providers' discovery documents, per
// configuration (a reload with a changed provider discovers again).
type oidcClients struct {
	mu   sync.Mutex
	byID map[string]*oidcClient
}

// oidcProvider returns the policy's provider named name, discovered.
func (c *Console) oidcProvider(ctx context.Context, name string) (*oidcClient, error) {
	cfg := c.snap().Config()
	var p *config.OIDCProvider
	for i := range cfg.Identity.OIDC {
		if cfg.Identity.OIDC[i].Name == name {
			p = &cfg.Identity.OIDC[i]
		}
	}
	if p == nil {
		return nil, errNoProvider
	}
	key := fmt.Sprintf("%+v", *p)
	c.oidc.mu.Lock()
	defer c.oidc.mu.Unlock()
	if cl := c.oidc.byID[key]; cl != nil {
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
	cl := &oidcClient{cfg: *p, provider: prov, secret: secret}
	if c.oidc.byID == nil {
		c.oidc.byID = map[string]*oidcClient{}
	}
	c.oidc.byID[key] = cl
	return cl, nil
}

// oauth is the client's OAuth 2.0 configuration for a callback URL.
func (cl *oidcClient) oauth(callback string) *oauth2.Config {
	return &oauth2.Config{ClientID: cl.cfg.ClientID, ClientSecret: cl.secret, Endpoint: cl.provider.Endpoint(),
		RedirectURL: callback, Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
}

// verifier checks ID tokens: the provider's keys, issuer, audience and
// expiry against the console's clock.
func (cl *oidcClient) verifier(now func() time.Time) *oidc.IDTokenVerifier {
	return cl.provider.Verifier(&oidc.Config{ClientID: cl.cfg.ClientID, Now: now})
}

// callbackURL is where the provider sends the person back.
func (c *Console) callbackURL(r *http.Request, name string) string {
	scheme := "http"
	if c.tls {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/login/oidc/" + name + "/callback"
}
