package safeguarding

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// Scope is who an approved request opens the site for.
type Scope uint8

const (
	// ScopeRequester: the user who asked (the default).
	ScopeRequester Scope = iota
	// ScopeDevice: the address of the unidentified device that asked,
	// while nobody is logged in on it (a client-address override).
	ScopeDevice
	// ScopeGroup: a policy group, named in Approval.Group.
	ScopeGroup
	// ScopeNetworkGroup: the policy group whose networks hold the
	// device's address.
	ScopeNetworkGroup
)

// Approval is how a request is approved.
type Approval struct {
	For    time.Duration
	Reason string
	Scope  Scope
	Group  string // ScopeGroup
	// Category, when set, opens that category (one of the request's)
	// rather than the requested site.
	Category string
}

// ApproveRequest approves a pending unblock request: a time-limited
// override for the scope chosen. The actor needs DecideRequests; a request
// for anything the policy in force puts in an illegal category is
// refused.
func (s *Service) ApproveRequest(ctx context.Context, a Actor, id int64, ap Approval) (store.Request, policy.Override, error) {
	if err := check(a, DecideRequests); err != nil {
		return store.Request{}, policy.Override{}, err
	}
	snap, err := s.snapshot()
	if err != nil {
		return store.Request{}, policy.Override{}, err
	}
	r, err := s.st.GetRequest(ctx, a.Site, id)
	if err != nil {
		return r, policy.Override{}, err
	}
	if illegal(snap, r, s.now()) {
		return r, policy.Override{}, fmt.Errorf("request %d (%s): %w", id, r.Host, ErrIllegal)
	}
	if ap.Category != "" {
		if _, ok := snap.CategoryIndex(ap.Category); !ok {
			return r, policy.Override{}, fmt.Errorf("%w: %q is not a category of the policy", ErrInvalid, ap.Category)
		}
	}
	sa := store.Approval{For: ap.For, Reason: ap.Reason, Category: ap.Category}
	switch ap.Scope {
	case ScopeRequester:
		if r.User == "" {
			return r, policy.Override{}, fmt.Errorf("%w: request %d came from an unidentified device (%s): approve it for the device, a group or the device's network group",
				ErrNotApplicable, id, r.Client)
		}
	case ScopeDevice:
		if r.User != "" {
			return r, policy.Override{}, fmt.Errorf("%w: request %d came from %s, who was signed in: approve it for them or a group, not the device", ErrNotApplicable, id, r.User)
		}
		sa.Device = true
	case ScopeGroup:
		if _, ok := snap.GroupIndex(ap.Group); !ok {
			return r, policy.Override{}, fmt.Errorf("%q: %w (groups: %s)", ap.Group, ErrUnknownGrantee, strings.Join(snap.Groups(), ", "))
		}
		sa.Group = ap.Group
	case ScopeNetworkGroup:
		g, err := networkGroup(snap, r.Client)
		if err != nil {
			return r, policy.Override{}, fmt.Errorf("request %d: %w", id, err)
		}
		sa.Group = g
	default:
		return r, policy.Override{}, fmt.Errorf("%w: approval scope %d", ErrInvalid, ap.Scope)
	}
	if ok, why, err := s.approvalApplies(ctx, snap, r, ap, sa); err != nil {
		return r, policy.Override{}, err
	} else if !ok {
		return r, policy.Override{}, fmt.Errorf("%w: request %d: %s", ErrNotApplicable, id, why)
	}
	return s.st.ApproveRequest(ctx, a.storeActor(), id, sa)
}

// approvalApplies asks the engine whether the unblock the approval makes
// would open what was asked for the subject chosen: an approved request
// opens block cells, but never a locked category (unless the subject's
// row already allows it).
func (s *Service) approvalApplies(ctx context.Context, snap *policy.Snapshot, r store.Request, ap Approval, sa store.Approval) (bool, string, error) {
	o := policy.Override{Kind: store.KindUnblock, Verdict: policy.Allow, Category: ap.Category}
	if o.Category == "" {
		target := r.URL
		if target == "" {
			target = r.Host
		}
		if t, err := policy.ParseTarget(target); err == nil {
			o.Target = t.Host + t.Path
		} else {
			o.Target = r.Host
		}
	}
	var groups policy.Set
	switch {
	case sa.Group != "":
		groups = snap.GroupSet([]string{sa.Group})
	case sa.Device:
		addr, err := netip.ParseAddr(r.Client)
		if err != nil {
			return false, "", fmt.Errorf("%w: no usable device address (%q)", ErrNotApplicable, r.Client)
		}
		groups = snap.GroupsForIP(addr)
	default:
		var err error
		var tmp policy.Override
		if groups, err = s.grantee(ctx, snap, r.User, &tmp); err != nil {
			return false, "", err
		}
	}
	ok, why := snap.OverrideApplies(&o, groups, s.now())
	return ok, why, nil
}

// DenyRequest denies a pending request, with a reason. The actor needs
// DecideRequests.
func (s *Service) DenyRequest(ctx context.Context, a Actor, id int64, reason string) (store.Request, error) {
	if err := check(a, DecideRequests); err != nil {
		return store.Request{}, err
	}
	return s.st.DenyRequest(ctx, a.storeActor(), id, reason)
}

// illegal asks the policy in force (not only the request's own record,
// which the block page wrote under an older policy) whether the request
// touches an illegal category.
func illegal(snap *policy.Snapshot, r store.Request, at time.Time) bool {
	for _, c := range r.Categories {
		if i, ok := snap.CategoryIndex(c); ok && snap.IsIllegal(i) {
			return true
		}
	}
	target := r.URL
	if target == "" {
		target = r.Host
	}
	t, err := policy.ParseTarget(target)
	if err != nil {
		h, _ := policy.NormalizeHost(r.Host)
		t = policy.Target{Host: h}
	}
	return snap.Decide(&policy.Query{Host: t.Host, Path: t.Path, At: at}).Illegal
}

// networkGroup is the one policy group whose networks hold client.
func networkGroup(snap *policy.Snapshot, client string) (string, error) {
	addr, err := netip.ParseAddr(client)
	if err != nil {
		return "", fmt.Errorf("%w: no usable device address (%q)", ErrNotApplicable, client)
	}
	addr = addr.Unmap()
	cfg := snap.Config()
	var found []string
	for _, name := range cfg.Groups.Names() {
		g, _ := cfg.Groups.Get(name)
		for _, n := range g.Networks {
			if p, err := config.ParseNetwork(n); err == nil && p.Contains(addr) {
				found = append(found, name)
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%w: no group's networks hold %s: approve it for the device or name a group", ErrNotApplicable, addr)
	case 1:
		return found[0], nil
	}
	slices.Sort(found)
	return "", fmt.Errorf("%w: %s is in the networks of groups %s: name one", ErrNotApplicable, addr, strings.Join(found, ", "))
}
