// Package oidcstore is the database behind a provider sign-in
// (oidcflow.Store): the store's secrets, its oidc_bindings and users,
// with the store's errors turned into oidcflow's. It is a package of its
// own so that oidcflow, and the sign-in page that uses it, never import
// the store; serve and the console hand it in.
package oidcstore

import (
	"context"
	"errors"
	"fmt"

	"schoolgate/internal/identity"
	"schoolgate/internal/oidcflow"
	"schoolgate/internal/store"
)

// New adapts st; nil for a nil store (no provider sign-in without the
// database).
func New(st *store.Store) oidcflow.Store {
	if st == nil {
		return nil
	}
	return adapter{st}
}

type adapter struct{ st *store.Store }

var _ oidcflow.Store = adapter{}

// actor is who the audit records name for a provider's changes.
func actor(provider string) store.Actor {
	return store.Actor{Name: "oidc:" + provider, From: "sign-in"}
}

// notFound turns the store's and the directory's not-found into
// oidcflow's, keeping the message.
func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, identity.ErrNotFound) {
		return fmt.Errorf("%w: %w", oidcflow.ErrNotFound, err)
	}
	return err
}

func (a adapter) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	return a.st.Secret(ctx, name, size)
}

func (a adapter) Bound(ctx context.Context, provider, subject string) (string, error) {
	u, err := a.st.OIDCBound(ctx, provider, subject)
	return u, notFound(err)
}

func (a adapter) Bind(ctx context.Context, provider, subject, username string) error {
	err := a.st.BindOIDC(ctx, actor(provider), provider, subject, username)
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("%w: %w", oidcflow.ErrBoundElsewhere, err)
	}
	return err
}

func (a adapter) User(ctx context.Context, username string) (identity.User, error) {
	u, err := a.st.GetUser(ctx, username)
	return u, notFound(err)
}

func (a adapter) UsernameByEmail(ctx context.Context, email string) (string, error) {
	u, err := a.st.UsernameByEmail(ctx, email)
	return u, notFound(err)
}

func (a adapter) CreateUser(ctx context.Context, provider string, u identity.User) error {
	if err := store.CheckUsername(u.Username); err != nil {
		return fmt.Errorf("%w: %w", oidcflow.ErrBadUsername, err)
	}
	return a.st.CreateUser(ctx, actor(provider), u, "")
}

func (a adapter) UpdateUser(ctx context.Context, provider string, u identity.User) error {
	return a.st.UpdateUser(ctx, actor(provider), u)
}
