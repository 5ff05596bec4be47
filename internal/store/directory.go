package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
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
	// A check that waits BusyWait (default 3s) for a turn gets ErrBusy.
	Concurrency int
	BusyWait    time.Duration
	// CacheTTL keeps verified credentials (as a SHA-256, never the
	// password) with the user they gave, so a proxy checking every
	// request neither rehashes nor queries the database (default 1
	// minute; negative disables). This is the only credentials cache:
	// the proxy and every other sign-in share it.
	CacheTTL time.Duration
	// StaleFor keeps answering from a credential verified within that
	// long when the database cannot be asked (default 12 hours): a node
	// cut off from its database still lets in the people it let in before,
	// and nobody else.
	StaleFor time.Duration
	Now      func() time.Time
	// CheckPassword, when set, checks passwords instead of the stored
	// hashes (identity.password: ldap: a bind to the school's directory).
	// A wrong password is (false, nil); an error (the directory down) is
	// returned as it is and counts against no one. The person must still
	// be in the directory here, and enabled.
	CheckPassword func(ctx context.Context, username, password string) (bool, error)
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
	// local is the local copy's users by name (SetLocal), answering
	// Lookup while the database is unreachable.
	local atomic.Pointer[map[string]identity.User]
}

type cached struct {
	user     identity.User
	until    time.Time
	verified time.Time
	// row is the stored person the credential was checked against
	// (rowPrint): Refresh drops the entry when the row has changed.
	row [32]byte
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
	if opt.BusyWait <= 0 {
		opt.BusyWait = 3 * time.Second
	}
	if opt.CacheTTL == 0 {
		opt.CacheTTL = time.Minute
	}
	if opt.StaleFor == 0 {
		opt.StaleFor = 12 * time.Hour
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
	var u identity.User
	err := ErrUnavailable
	if d.st.Reachable() {
		u, err = d.st.GetUser(ctx, username)
	}
	if errors.Is(err, ErrNotFound) {
		return nil, identity.ErrNotFound
	}
	if err != nil {
		lu, ok := d.localUser(username)
		if !ok {
			return nil, err // not cached by the resolver: the policy's lists and networks only
		}
		u = lu
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
	if u, ok := d.cachedUser(key, username); ok {
		return u, nil
	}
	u, hash, err := identity.User{}, "", error(ErrUnavailable)
	if d.st.Reachable() {
		u, hash, err = d.st.userWithHash(ctx, username)
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		if u, ok := d.staleUser(key, username); ok {
			if lu, ok := d.localUser(username); ok && lu.Disabled {
				return nil, identity.ErrDisabled
			}
			return u, nil
		}
		return nil, err
	}
	known := err == nil && hash != ""
	if !known {
		hash = d.dummy
	}
	wait := time.NewTimer(d.opt.BusyWait)
	defer wait.Stop()
	select {
	case d.sem <- struct{}{}:
	case <-wait.C:
		return nil, identity.ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var ok bool
	var verr error
	if d.opt.CheckPassword != nil {
		known = err == nil
		if known {
			ok, verr = d.opt.CheckPassword(ctx, username, password)
		}
		if verr != nil {
			<-d.sem
			return nil, fmt.Errorf("checking a password with the directory: %w", verr)
		}
	} else {
		ok, verr = identity.VerifyPassword(password, hash)
	}
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
	row := rowPrint(&u, hash)
	u.Groups = identity.ResolveGroups(u.Groups, u.YearGroup, u.Roles, d.opt.Mapping())
	d.remember(key, u, row)
	return &u, nil
}

// cachedUser returns a copy of the user a still-fresh verified credential
// gave.
func (d *Directory) cachedUser(key [32]byte, user string) (*identity.User, bool) {
	if d.opt.CacheTTL < 0 {
		return nil, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.cache[key]
	if ok && c.user.Username == user && d.opt.Now().Before(c.until) {
		u := c.user
		u.Groups = slices.Clone(u.Groups)
		return &u, true
	}
	if !ok || c.user.Username != user || d.opt.Now().Sub(c.verified) > d.opt.StaleFor {
		delete(d.cache, key) // kept a while otherwise, for staleUser
	}
	return nil, false
}

// staleUser is a credential verified within StaleFor, for when the
// database cannot be asked.
func (d *Directory) staleUser(key [32]byte, user string) (*identity.User, bool) {
	if d.opt.CacheTTL < 0 {
		return nil, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.cache[key]
	if !ok || c.user.Username != user || d.opt.Now().Sub(c.verified) > d.opt.StaleFor {
		return nil, false
	}
	u := c.user
	u.Groups = slices.Clone(u.Groups)
	return &u, true
}

// SetLocal gives the local copy's users, who answer Lookup while the
// database is unreachable.
func (d *Directory) SetLocal(users []identity.User) {
	m := make(map[string]identity.User, len(users))
	for _, u := range users {
		m[u.Username] = u
	}
	d.local.Store(&m)
}

func (d *Directory) localUser(name string) (identity.User, bool) {
	m := d.local.Load()
	if m == nil {
		return identity.User{}, false
	}
	u, ok := (*m)[name]
	if ok {
		u.Groups = slices.Clone(u.Groups)
	}
	return u, ok
}

// Forget drops every cached credential of user (after a password change,
// or when they are disabled).
func (d *Directory) Forget(user string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, c := range d.cache {
		if c.user.Username == user {
			delete(d.cache, k)
		}
	}
}

func (d *Directory) remember(key [32]byte, u identity.User, row [32]byte) {
	if d.opt.CacheTTL < 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.cache) >= 10_000 {
		clear(d.cache)
	}
	u.Groups = slices.Clone(u.Groups)
	now := d.opt.Now()
	d.cache[key] = cached{user: u, until: now.Add(d.opt.CacheTTL), verified: now, row: row}
}
