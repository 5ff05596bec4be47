package proxy

import (
	"context"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/proxy/pages"
)

// lookupTTL is how long a user's directory entry (their groups) is reused.
const lookupTTL = time.Minute

// Identifier says who an unauthenticated client is: the user logged in
// from its IP (a proxy log-in, for the session's time) with that user's
// groups, else the groups of the IP's networks. The block-page listener
// and the proxy with proxy.auth none share it.
type Identifier struct {
	engine   *policy.Engine
	sessions *identity.Sessions
	dir      identity.Directory
	now      func() time.Time

	mu    sync.Mutex
	users map[string]cachedUser
}

type cachedUser struct {
	u     *identity.User
	until time.Time
}

// NewIdentifier makes an Identifier; sessions and dir may be nil.
func NewIdentifier(engine *policy.Engine, sessions *identity.Sessions, dir identity.Directory, now func() time.Time) *Identifier {
	if now == nil {
		now = time.Now
	}
	return &Identifier{engine: engine, sessions: sessions, dir: dir, now: now, users: map[string]cachedUser{}}
}

// ByIP identifies client.
func (id *Identifier) ByIP(ctx context.Context, client netip.Addr) pages.Visitor {
	snap := id.engine.Snapshot()
	v := pages.Visitor{Client: client}
	if id.sessions != nil {
		if name, ok := id.sessions.Lookup(client); ok {
			v.User = name
			var names []string
			if u := id.lookup(ctx, name); u != nil {
				names = u.Groups
			}
			if set, ok := snap.UserGroups(name, names); ok {
				v.Groups = set
				return v
			}
		}
	}
	v.Groups = snap.GroupsForIP(client)
	return v
}

// Request identifies the client of an http.Request (the block-page
// listener).
func (id *Identifier) Request(r *http.Request) pages.Visitor {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return id.ByIP(r.Context(), netip.Addr{})
	}
	return id.ByIP(r.Context(), ap.Addr().Unmap())
}

func (id *Identifier) lookup(ctx context.Context, name string) *identity.User {
	if id.dir == nil {
		return nil
	}
	now := id.now()
	id.mu.Lock()
	if c, ok := id.users[name]; ok && now.Before(c.until) {
		id.mu.Unlock()
		return c.u
	}
	id.mu.Unlock()
	u, err := id.dir.Lookup(ctx, name)
	if err != nil {
		u = nil
	}
	id.mu.Lock()
	if len(id.users) > credMax {
		id.users = map[string]cachedUser{}
	}
	id.users[name] = cachedUser{u: u, until: now.Add(lookupTTL)}
	id.mu.Unlock()
	return u
}
