package console

import (
	"context"
	"net/http"

	"schoolgate/internal/oidcflow"
)

// oidcClients caches the providers' discovery (oidcflow).
type oidcClients = oidcflow.Clients

// oidcProvider returns the policy's provider named name, discovered.
func (c *Console) oidcProvider(ctx context.Context, name string) (*oidcflow.Client, error) {
	return c.oidc.Provider(ctx, c.snap().Config(), name)
}

// callbackURL is where the provider sends the person back.
func (c *Console) callbackURL(r *http.Request, name string) string {
	scheme := "http"
	if c.tls {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/login/oidc/" + name + "/callback"
}
