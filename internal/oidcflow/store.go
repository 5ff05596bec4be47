package oidcflow

import (
	"context"
	"errors"

	"schoolgate/internal/identity"
)

// Store is what a provider sign-in needs of the database: the key that
// signs the sign-ins in flight, the bindings of providers' subjects to
// people, and the directory's people. The database implements it
// (internal/oidcflow/oidcstore) and serve passes it in, so that the
// sign-in page (and so the proxy) never imports the store. provider is
// the audit actor of the changes (oidc:NAME).
type Store interface {
	// Secret returns the named key of size bytes, made the first time.
	Secret(ctx context.Context, name string, size int) ([]byte, error)
	// Bound returns the username bound to provider's subject, or
	// ErrNotFound.
	Bound(ctx context.Context, provider, subject string) (string, error)
	// Bind binds username to provider's subject; ErrBoundElsewhere when
	// that person is bound to another subject of provider.
	Bind(ctx context.Context, provider, subject, username string) error
	// User returns a directory person (explicit groups only), or
	// ErrNotFound.
	User(ctx context.Context, username string) (identity.User, error)
	// UsernameByEmail returns the one person with that address, or
	// ErrNotFound (none, or more than one).
	UsernameByEmail(ctx context.Context, email string) (string, error)
	// CreateUser adds a person without a password; ErrBadUsername when
	// the name cannot be a username.
	CreateUser(ctx context.Context, provider string, u identity.User) error
	// UpdateUser writes a person's changed roles.
	UpdateUser(ctx context.Context, provider string, u identity.User) error
}

// The Store's sentinel errors.
var (
	ErrNotFound       = errors.New("not found")
	ErrBoundElsewhere = errors.New("bound to another account of the provider")
	ErrBadUsername    = errors.New("not a valid username")
)
