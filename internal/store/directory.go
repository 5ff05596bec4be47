package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
)

// DirectoryOptions tune the password checks.
type DirectoryOptions struct {
	// Mapping returns the identity section of the policy in force (it can
	// change on reload); nil means no year-group or role groups.
	Mapping func() config.Identity
	// PerClient and PerAccount failures allowed within Window before that
	// client or account is refused (defaults 20 and 5 within 5 minutes).
	PerClient, PerAccount int
	Window                time.Duration
	// Concurrency bounds simultaneous argon2id computations (default
	// GOMAXPROCS), so a burst of log-ins cannot starve DNS and the proxy.
	Concurrency int
	// CacheTTL keeps verified credentials (as a SHA-256, never the
	// password) so a proxy checking every request does not rehash
	// (default 1 minute; negative disables).
	CacheTTL time.Duration
	Now      func() time.Time
}

// Directory implements identity.Directory on the store.
type Directory struct {
	st         *Store
	opt        DirectoryOptions
	perClient  *identity.FailureLimiter
	perAccount *identity.FailureLimiter
	sem        chan struct{}
	dummy      string

	mu    sync.Mutex
	cache map[[32]byte]cached
}

type cached struct {
	user  string
	until time.Time
}

var _ identity.Directory = (*Directory)(nil)

// NewDirectory makes a Directory over s.
func NewDirectory(s *Store, opt DirectoryOptions) (*Directory, error) {
	if opt.Mapping == nil {
		opt.Mapping = func() config.Identity { return config.Identity{} }
	}
	if opt.PerClient <= 0 {
		opt.PerClient = 20
	}
	if opt.PerAccount <= 0 {
		opt.PerAccount = 5
	}
	if opt.Window <= 0 {
		opt.Window = 5 * time.Minute
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = runtime.GOMAXPROCS(0)
	}
	if opt.CacheTTL == 0 {
		opt.CacheTTL = time.Minute
	}
	if opt.Now == nil {
		opt.Now = s.now
	}
	// A hash to verify against for unknown users, so that a wrong user
	// name takes as long as a wrong password.
	dummy, err := identity.HashPassword("schoolgate-no-such-user", identity.DefaultHashParams())
	if err != nil {
		return nil, err
	}
	return &Directory{st: s, opt: opt, dummy: dummy, sem: make(chan struct{}, opt.Concurrency),
		perClient:  identity.NewFailureLimiter(opt.PerClient, opt.Window, opt.Now),
		perAccount: identity.NewFailureLimiter(opt.PerAccount, opt.Window, opt.Now),
		cache:      map[[32]byte]cached{}}, nil
}

// Lookup returns an enabled or disabled user with all their groups.
func (d *Directory) Lookup(ctx context.Context, username string) (*identity.User, error) {
	u, err := d.st.GetUser(ctx, username)
	if errors.Is(err, ErrNotFound) {
		return nil, identity.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	u.Groups = identity.ResolveGroups(u.Groups, u.YearGroup, u.Roles, d.opt.Mapping())
	return &u, nil
}

// Authenticate checks a password. Failures are counted per client and per
// account; either limit reached gives ErrRateLimited without hashing.
func (d *Directory) Authenticate(ctx context.Context, username, password string, client netip.Addr) (*identity.User, error) {
	ckey := client.Unmap().String()
	if blocked, _ := d.perClient.Blocked(ckey); blocked {
		return nil, identity.ErrRateLimited
	}
	if blocked, _ := d.perAccount.Blocked(username); blocked {
		return nil, identity.ErrRateLimited
	}
	key := sha256.Sum256([]byte(username + "\x00" + password))
	if d.cachedOK(key, username) {
		u, err := d.Lookup(ctx, username)
		if err == nil && u.Disabled {
			return nil, identity.ErrDisabled
		}
		return u, err
	}
	u, hash, err := d.st.userWithHash(ctx, username)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	known := err == nil && hash != ""
	if !known {
		hash = d.dummy
	}
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ok, verr := identity.VerifyPassword(password, hash)
	<-d.sem
	if verr != nil {
		return nil, fmt.Errorf("user %s: %w", username, verr)
	}
	if !ok || !known {
		d.perClient.Fail(ckey)
		d.perAccount.Fail(username)
		return nil, identity.ErrBadCredentials
	}
	if u.Disabled {
		return nil, identity.ErrDisabled
	}
	d.perAccount.Reset(username)
	d.remember(key, username)
	u.Groups = identity.ResolveGroups(u.Groups, u.YearGroup, u.Roles, d.opt.Mapping())
	return &u, nil
}

func (d *Directory) cachedOK(key [32]byte, user string) bool {
	if d.opt.CacheTTL < 0 {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.cache[key]
	if ok && c.user == user && d.opt.Now().Before(c.until) {
		return true
	}
	delete(d.cache, key)
	return false
}

func (d *Directory) remember(key [32]byte, user string) {
	if d.opt.CacheTTL < 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.cache) >= 10_000 {
		clear(d.cache)
	}
	d.cache[key] = cached{user: user, until: d.opt.Now().Add(d.opt.CacheTTL)}
}
