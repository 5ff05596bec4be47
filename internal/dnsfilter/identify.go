package dnsfilter

import (
	"context"
	"errors"
	"sync"
	"time"

	"schoolgate/internal/identity"
)

// stageIdentify finds the client's groups. A client IP with a live proxy
// log-in session is that user: their groups are the identity store's
// (when there is one) and the policy's users: lists. Otherwise the
// policy's networks decide (or default_group).
func stageIdentify(s *Server, r *request) action {
	snap := r.v.snap
	ip := r.client.Addr().Unmap()
	if s.sessions != nil {
		if user, ok := s.sessions.Lookup(ip); ok {
			r.user = user
			names, _ := s.users.groups(user)
			r.groups, _ = snap.UserGroups(user, names)
		}
	}
	if r.groups.Empty() {
		r.groups = snap.GroupsForIP(ip)
	}
	r.gi = r.v.groupInfo(r.groups)
	r.ttlCap = noCap
	if r.gi.filtered {
		r.ttlCap = r.v.maxTTL
	}
	return next
}

// userCache remembers users' groups from the identity store for a short
// while, so that a busy client does not cost a database query per DNS
// query.
type userCache struct {
	dir identity.Directory
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]userEntry
}

type userEntry struct {
	groups []string
	ok     bool
	until  time.Time
}

// maxCachedUsers bounds the cache; when full it starts again.
const maxCachedUsers = 1 << 14

func newUserCache(dir identity.Directory, ttl time.Duration) *userCache {
	return &userCache{dir: dir, ttl: ttl, m: map[string]userEntry{}}
}

// groups returns user's groups from the identity store, if it knows them.
func (c *userCache) groups(user string) ([]string, bool) {
	if c.dir == nil {
		return nil, false
	}
	now := time.Now()
	c.mu.Lock()
	e, hit := c.m[user]
	c.mu.Unlock()
	if hit && now.Before(e.until) {
		return e.groups, e.ok
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	u, err := c.dir.Lookup(ctx, user)
	switch {
	case err == nil && !u.Disabled:
		e = userEntry{groups: u.Groups, ok: true}
	case err == nil, errors.Is(err, identity.ErrNotFound):
		e = userEntry{}
	default:
		return nil, false // store trouble: fall back without caching
	}
	e.until = now.Add(c.ttl)
	c.mu.Lock()
	if len(c.m) >= maxCachedUsers {
		c.m = map[string]userEntry{}
	}
	c.m[user] = e
	c.mu.Unlock()
	return e.groups, e.ok
}
