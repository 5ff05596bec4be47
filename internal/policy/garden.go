package policy

import (
	"maps"
	"sync"
	"sync/atomic"

	"schoolgate/internal/config"
)

// garden holds the portal's walled-garden names that discovery found:
// each identity.oidc issuer's authorisation and token endpoint hosts.
// They count only while the policy still names that issuer.
type garden struct {
	mu       sync.Mutex // serialises writers
	byIssuer atomic.Pointer[map[string][]string]
}

// AddPortalHosts adds the host names of a provider's endpoints, found by
// its discovery, to the portal's walled garden (config.PortalGarden) for
// as long as the policy names that issuer. Addresses and empty names are
// ignored.
func (e *Engine) AddPortalHosts(issuer string, urls ...string) {
	var hosts []string
	for _, u := range urls {
		if h := config.GardenHost(u); h != "" {
			hosts = append(hosts, h)
		}
	}
	g := &e.garden
	g.mu.Lock()
	defer g.mu.Unlock()
	next := map[string][]string{}
	if cur := g.byIssuer.Load(); cur != nil {
		next = maps.Clone(*cur)
	}
	next[issuer] = hosts
	g.byIssuer.Store(&next)
}

// PortalAllows reports whether an unidentified device in a portal group
// may resolve and reach name (lower case, no trailing dot) before it has
// signed in: name is in the walled garden (portal_allow, a provider's
// issuer, or an endpoint its discovery named) or under one of its names.
func (e *Engine) PortalAllows(name string) bool {
	s := e.Snapshot()
	if config.InGarden(s.garden, name) {
		return true
	}
	found := e.garden.byIssuer.Load()
	if found == nil {
		return false
	}
	for _, p := range s.cfg.Identity.OIDC {
		if config.InGarden((*found)[p.Issuer], name) {
			return true
		}
	}
	return false
}
