package console

import (
	"schoolgate/internal/oidcflow"
	"schoolgate/internal/oidcflow/oidcstore"
)

// oidcFlow carries a console sign-in through the provider and back: the
// cookie sg_oidc under /login/oidc/, signed with the store's
// console-oidc-state key, for ten minutes.
func (c *Console) oidcFlow() *oidcflow.Flow {
	return &oidcflow.Flow{Store: oidcstore.New(c.st), Now: c.now, Cookie: "sg_oidc", Path: "/login/oidc/", KeyName: "console-oidc-state", Secure: c.tls}
}
