package safeguarding

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// Grant is a time-limited change for a user or a policy group: a grant of
// a permission cell (CreateGrant) or a suspension of access (Suspend).
type Grant struct {
	// To is a policy group, or a user of the directory or of a group's
	// users: list. A name that is both is the group.
	To string
	// Scope: exactly one of Category, Target (host or host/path) or All
	// (every site: suspensions only).
	Category string
	Target   string
	All      bool
	For      time.Duration
	// Block makes a grant block rather than allow (a teacher closing a
	// site for a lesson). A suspension always blocks.
	Block  bool
	Reason string
}

// CreateGrant makes a time-limited grant. The actor needs
// GrantPermission; illegal content is refused; the grantee must exist;
// the grant must open the cell it is for.
func (s *Service) CreateGrant(ctx context.Context, a Actor, g Grant) (policy.Override, error) {
	if err := check(a, GrantPermission); err != nil {
		return policy.Override{}, err
	}
	v := policy.Allow
	if g.Block {
		v = policy.Block
	}
	if g.All && v == policy.Allow {
		return policy.Override{}, fmt.Errorf("%w: a grant allows a category or a site, not every site", ErrNotApplicable)
	}
	return s.createOverride(ctx, a, store.KindGrant, v, g)
}

// Suspend blocks a user's or group's access (every site, a category or a
// site) for a while: a sanction. The actor needs Suspend.
func (s *Service) Suspend(ctx context.Context, a Actor, g Grant) (policy.Override, error) {
	if err := check(a, Suspend); err != nil {
		return policy.Override{}, err
	}
	return s.createOverride(ctx, a, store.KindSuspension, policy.Block, g)
}

func (s *Service) createOverride(ctx context.Context, a Actor, kind string, v policy.Verdict, g Grant) (policy.Override, error) {
	scopes := 0
	for _, set := range []bool{g.Category != "", g.Target != "", g.All} {
		if set {
			scopes++
		}
	}
	if scopes != 1 {
		return policy.Override{}, fmt.Errorf("%w: give one of a category, a target or every site", ErrInvalid)
	}
	if g.For <= 0 {
		return policy.Override{}, fmt.Errorf("%w: a positive duration is required: every change is time-limited", ErrInvalid)
	}
	if strings.TrimSpace(g.Reason) == "" {
		return policy.Override{}, fmt.Errorf("%w: a reason is required", ErrInvalid)
	}
	snap, err := s.snapshot()
	if err != nil {
		return policy.Override{}, err
	}
	school, err := a.school()
	if err != nil {
		return policy.Override{}, err
	}
	now := s.now()
	o := policy.Override{Kind: kind, Verdict: v, Until: now.Add(g.For), Reason: g.Reason, Site: school}
	if g.Category != "" {
		ci, ok := snap.CategoryIndex(g.Category)
		if !ok {
			return o, fmt.Errorf("%w: %q is not a category of the policy (categories: %s)", ErrInvalid, g.Category, strings.Join(snap.Categories(), ", "))
		}
		if snap.IsIllegal(ci) && o.Verdict != policy.Block {
			return o, fmt.Errorf("category %s: %w", g.Category, ErrIllegal)
		}
		o.Category = g.Category
	}
	if g.Target != "" {
		t, err := policy.ParseTarget(g.Target)
		if err != nil {
			return o, fmt.Errorf("%w: target: %w", ErrInvalid, err)
		}
		if o.Verdict != policy.Block && snap.Decide(&policy.Query{Host: t.Host, Path: t.Path, At: now}).Illegal {
			return o, fmt.Errorf("%s: %w", t.Host+t.Path, ErrIllegal)
		}
		o.Target = t.Host + t.Path
	}
	groups, err := s.grantee(ctx, snap, g.To, &o)
	if err != nil {
		return o, err
	}
	if o.User != "" {
		// A person of another school is no grantee here.
		if u, err := s.dir.Lookup(ctx, o.User); err == nil && u.Site != "" && u.Site != school && u.Site != store.AllSites {
			return o, fmt.Errorf("%q is %w at %s", o.User, ErrUnknownGrantee, school)
		}
	}
	if kind == store.KindGrant && o.Verdict == policy.Allow {
		if ok, why := s.cellAllows(snap, &o, groups, now); !ok {
			return o, fmt.Errorf("%w: %s", ErrNotApplicable, why)
		}
	}
	return s.st.CreateOverride(ctx, a.storeActor(), o)
}

// grantee places the override on to (a policy group, else a user of the
// directory or of a users: list) and returns the grantee's policy groups.
func (s *Service) grantee(ctx context.Context, snap *policy.Snapshot, to string, o *policy.Override) (policy.Set, error) {
	if to == "" {
		return policy.Set{}, fmt.Errorf("%w: who it is for (a user or a policy group)", ErrUnknownGrantee)
	}
	if gi, ok := snap.GroupIndex(to); ok {
		o.Group = to
		var set policy.Set
		set.Add(gi)
		return set, nil
	}
	// A person's groups are what the filter gives them: the one identity
	// resolver's answer (directory groups, year-group and role groups and
	// the policy's users: lists; a person in no policy group is placed as
	// an unidentified device would be).
	user := strings.ToLower(to) // usernames are lower case
	who := identity.NewResolver(nil, s.dir, nil).User(ctx, snap, user, netip.Addr{}, nil)
	switch {
	case who.Err != nil:
		return policy.Set{}, fmt.Errorf("grantee %q: %w", to, who.Err)
	case who.Disabled:
		return policy.Set{}, fmt.Errorf("%q: %w: the account is disabled", to, ErrUnknownGrantee)
	case !who.Known:
		return policy.Set{}, fmt.Errorf("%q: %w (groups: %s)", to, ErrUnknownGrantee, strings.Join(snap.Groups(), ", "))
	}
	o.User = user
	return who.Groups, nil
}

// cellAllows says whether a grant would open the cell it is for, for
// those groups at that time.
// It asks the engine, so that what is refused here is exactly what the
// filter would not apply.
func (s *Service) cellAllows(snap *policy.Snapshot, o *policy.Override, groups policy.Set, at time.Time) (bool, string) {
	return snap.OverrideApplies(o, groups, at)
}

// RevokeOverride ends an override now. Who may depends on its kind: a
// grant needs GrantPermission, a suspension Suspend, an approved request
// or a warning click-through DecideRequests.
func (s *Service) RevokeOverride(ctx context.Context, a Actor, id int64, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("%w: a reason is required", ErrInvalid)
	}
	o, _, err := s.st.GetOverride(ctx, a.Site, id)
	if err != nil {
		return err
	}
	c := DecideRequests
	switch o.Kind {
	case store.KindGrant:
		c = GrantPermission
	case store.KindSuspension:
		c = Suspend
	}
	if err := check(a, c); err != nil {
		return err
	}
	return s.st.RevokeOverride(ctx, a.storeActor(), a.Site, id, reason)
}
