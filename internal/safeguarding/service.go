package safeguarding

import (
	"context"
	"errors"
	"fmt"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// Store is what the domain needs from storage: live overrides and
// requests, each change written with its audit record.
type Store interface {
	CreateOverride(ctx context.Context, by store.Actor, o policy.Override) (policy.Override, error)
	GetOverride(ctx context.Context, scope string, id int64) (policy.Override, bool, error)
	RevokeOverride(ctx context.Context, by store.Actor, scope string, id int64, reason string) error
	GetRequest(ctx context.Context, scope string, id int64) (store.Request, error)
	ApproveRequest(ctx context.Context, by store.Actor, id int64, a store.Approval) (store.Request, policy.Override, error)
	DenyRequest(ctx context.Context, by store.Actor, id int64, reason string) (store.Request, error)
}

// Directory finds people (identity.Directory, the store's Directory).
type Directory interface {
	Lookup(ctx context.Context, username string) (*identity.User, error)
}

// Options builds a Service.
type Options struct {
	Store     Store
	Directory Directory
	// Snapshot returns the policy in force: the running engine's in
	// serve, the compiled policy file in the CLI. nil means none could
	// be had (ErrNoPolicy).
	Snapshot func() *policy.Snapshot
	Now      func() time.Time
	// Site is the school this service acts for (config site.id; default
	// config.DefaultSiteID).
	Site string
}

// Service runs the domain operations.
type Service struct {
	st   Store
	dir  Directory
	snap func() *policy.Snapshot
	now  func() time.Time
	site string
}

// New makes a Service.
func New(opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Site == "" {
		opt.Site = config.DefaultSiteID
	}
	return &Service{st: opt.Store, dir: opt.Directory, snap: opt.Snapshot, now: opt.Now, site: opt.Site}
}

// ResolveActor finds the accountable person named username: an enabled
// person of the user directory, with their roles. osUser and address say
// where the operation comes from. Resolving says nothing about what they
// may do: each operation checks that.
func (s *Service) ResolveActor(ctx context.Context, username, osUser, address string) (Actor, error) {
	if username == "" {
		return Actor{}, fmt.Errorf("%w: no one named", ErrUnknownActor)
	}
	u, err := s.dir.Lookup(ctx, username)
	if errors.Is(err, identity.ErrNotFound) {
		return Actor{}, fmt.Errorf("%q is %w", username, ErrUnknownActor)
	}
	if err != nil {
		return Actor{}, fmt.Errorf("looking up the actor: %w", err) // no name: this reaches the system log
	}
	if u.Disabled {
		return Actor{}, fmt.Errorf("%q is disabled: %w", username, ErrUnknownActor)
	}
	// The scope is the person's own site, never the service's: a school's
	// staff act in their school wherever the command runs; the service's
	// site is the school a trust person's new records go to.
	return Actor{Username: u.Username, DisplayName: u.DisplayName, Roles: u.Roles, OSUser: osUser, Address: address, Site: u.Site, School: s.site}, nil
}

// snapshot is the policy in force, or ErrNoPolicy.
func (s *Service) snapshot() (*policy.Snapshot, error) {
	if s.snap == nil {
		return nil, ErrNoPolicy
	}
	snap := s.snap()
	if snap == nil {
		return nil, ErrNoPolicy
	}
	return snap, nil
}
