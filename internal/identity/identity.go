// Package identity says who a client is: users and their groups, password
// checks, and the client-IP → user sessions that a proxy log-in creates so
// the DNS resolver can apply that user's groups too.
package identity

import (
	"context"
	"errors"
	"net/netip"
	"time"
)

// Sentinel errors.
var (
	ErrNotFound       = errors.New("user not found")
	ErrBadCredentials = errors.New("wrong username or password")
	ErrDisabled       = errors.New("account disabled")
	ErrRateLimited    = errors.New("too many failed log-ins: try again later")
	ErrBusy           = errors.New("too many log-ins at once: try again in a moment")
)

// User is one person (or a shared class log-on) known to Schoolgate.
type User struct {
	Username    string
	DisplayName string
	Roles       []Role // several per person, in the fixed order
	YearGroup   string
	Email       string
	// Groups are group names: as stored, the explicit ones (which may
	// include directory groups the policy does not know); from a
	// Directory, those plus the year-group and role maps.
	Groups   []string
	Disabled bool
	Shared   bool // a shared class log-on (KS1)
	// Site is the school the person belongs to (config.Site.ID), or "*"
	// for trust staff, who see every school.
	Site string
}

// Directory finds users and checks passwords. The store implements it;
// callers own the interface they need.
type Directory interface {
	// Authenticate checks a password (argon2id, rate-limited per client
	// and per account) and returns the user.
	Authenticate(ctx context.Context, username, password string, client netip.Addr) (*User, error)
	// Lookup returns a user by name, or ErrNotFound.
	Lookup(ctx context.Context, username string) (*User, error)
}

// Clock is injectable for tests.
type Clock func() time.Time
