package identity

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"schoolgate/internal/policy"
)

// How says how a client was identified.
type How uint8

const (
	// ByNetwork: nobody is logged in; the policy's networks (or
	// default_group) place the client.
	ByNetwork How = iota
	// BySession: a proxy log-in from this address, still current.
	BySession
	// ByLogin: a user named by the caller (a checked password, or
	// `check --user`).
	ByLogin
)

func (h How) String() string {
	return [...]string{"network", "session", "login"}[h]
}

// Who answers "who is this client, and in which groups".
type Who struct {
	// User is the person, or "" when the client is unidentified. A
	// disabled person is never a User: their client is placed by its
	// address.
	User   string
	Groups policy.Set
	How    How
	// Known is set when User is in the directory or in a policy users:
	// list.
	Known bool
	// Disabled is set when the named person exists but is disabled.
	Disabled bool
	// Err is the directory's error when it could not be asked: the
	// groups are then the policy's users: lists' (or the address's).
	Err error
	// Portal is set for an unidentified client in a portal group's
	// networks: it gets the sign-in page and nothing else until someone
	// signs in from it.
	Portal bool
}

// Resolver is the one place that answers "who is this client, in which
// groups" for the DNS resolver, the proxy (with or without log-in), the
// block-page listener and `check`. The rules, the same for each:
//
//  1. A user with a live log-in session from the client's address (or a
//     user named by the caller) is that user, unless the directory says
//     the account is disabled: a disabled person's groups are dropped
//     (directory and policy users: lists alike) and the client is placed
//     by its address.
//  2. A user's groups are the directory's (explicit, year-group and role
//     groups) joined with the policy users: lists that name them; names
//     the policy does not know are ignored.
//  3. A user in no policy group, an unknown user, or no user at all: the
//     groups whose networks hold the address, else default_group.
//  4. No user at all from an address in a portal group's networks: the
//     client is marked Portal, and sees only the sign-in page.
//
// Directory answers are cached for a minute so that a busy client does
// not cost a database query per DNS query; a directory error is not
// cached and leaves only the policy's own users: lists.
type Resolver struct {
	sessions *Sessions
	dir      UserLookup
	now      Clock
	ttl      time.Duration

	mu    sync.Mutex
	cache map[string]cachedUser
}

type cachedUser struct {
	u     *User // nil: not in the directory
	until time.Time
}

// Cache bounds.
const (
	resolverTTL     = time.Minute
	maxResolverKeys = 1 << 14
)

// UserLookup is the part of a Directory the resolver reads.
type UserLookup interface {
	Lookup(ctx context.Context, username string) (*User, error)
}

// NewResolver makes a Resolver. sessions, dir and now may be nil.
func NewResolver(sessions *Sessions, dir UserLookup, now Clock) *Resolver {
	if now == nil {
		now = time.Now
	}
	return &Resolver{sessions: sessions, dir: dir, now: now, ttl: resolverTTL, cache: map[string]cachedUser{}}
}

// Sessions is the address → user log-in map the resolver reads (may be
// nil).
func (r *Resolver) Sessions() *Sessions { return r.sessions }

// Client identifies a client that sent no credentials: the user logged in
// from its address, else its networks.
func (r *Resolver) Client(ctx context.Context, snap *policy.Snapshot, client netip.Addr) Who {
	client = client.Unmap()
	if r != nil && r.sessions != nil {
		if name, ok := r.sessions.Lookup(client); ok {
			w := r.user(ctx, snap, name, client, nil)
			if w.User != "" {
				w.How = BySession
				return w
			}
			w.Portal = snap.Portal(client) // disabled: placed by address
			return w
		}
	}
	return Who{Groups: snap.GroupsForIP(client), Portal: snap.Portal(client)}
}

// User identifies a named user at client (check --user, or a user whose
// password the caller has just checked: pass the directory's answer as u
// to save a lookup; nil looks the user up).
func (r *Resolver) User(ctx context.Context, snap *policy.Snapshot, name string, client netip.Addr, u *User) Who {
	return r.user(ctx, snap, name, client.Unmap(), u)
}

func (r *Resolver) user(ctx context.Context, snap *policy.Snapshot, name string, client netip.Addr, u *User) Who {
	var err error
	if u == nil && r != nil {
		u, err = r.lookup(ctx, name)
	}
	_, inPolicy := snap.PolicyUserGroups(name)
	w := Who{User: name, How: ByLogin, Known: inPolicy || u != nil, Err: err}
	if u != nil && u.Disabled {
		return Who{Groups: snap.GroupsForIP(client), Known: true, Disabled: true}
	}
	var names []string
	if u != nil {
		names = u.Groups
	}
	set, ok := snap.UserGroups(name, names)
	if !ok {
		set = snap.GroupsForIP(client)
	}
	w.Groups = set
	return w
}

// Forget drops a user's cached directory entry (after a change to them).
func (r *Resolver) Forget(name string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	delete(r.cache, name)
	r.mu.Unlock()
}

// ForgetAll drops every cached directory entry (people changed on another
// node: the next look-up of each asks the directory again).
func (r *Resolver) ForgetAll() {
	if r == nil {
		return
	}
	r.mu.Lock()
	clear(r.cache)
	r.mu.Unlock()
}

// lookup returns the directory's entry for name (nil when unknown, or on
// a directory error, which is returned and not cached).
func (r *Resolver) lookup(ctx context.Context, name string) (*User, error) {
	if r.dir == nil {
		return nil, nil
	}
	now := r.now()
	r.mu.Lock()
	c, hit := r.cache[name]
	r.mu.Unlock()
	if hit && now.Before(c.until) {
		return c.u, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	u, err := r.dir.Lookup(ctx, name)
	switch {
	case err == nil:
	case errors.Is(err, ErrNotFound):
		u = nil
	default:
		return nil, err // directory trouble: the policy's lists only, not cached
	}
	r.mu.Lock()
	if len(r.cache) >= maxResolverKeys {
		clear(r.cache)
	}
	r.cache[name] = cachedUser{u: u, until: now.Add(r.ttl)}
	r.mu.Unlock()
	return u, nil
}
