package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// explainForm asks the engine about one target for a person or a group
// at a site-local time.
type explainForm struct {
	Target string
	Who    string // a policy group, or a person's username
	At     string // site-local "2006-01-02T15:04" (datetime-local); empty: now
}

// Errors of the explain form.
var (
	errExplainTarget = errors.New("target: give a site or address, e.g. www.example.com")
	errExplainWho    = errors.New("person or group: give a group or a username")
	errExplainAt     = errors.New("time: give a date and time such as 2026-03-09T10:30 (site time)")
	errExplainPerson = errors.New("person or group: explaining for a named person needs a role that may see their activity; choose a group")
)

// Validate checks the form and returns the time it asks about.
func (f explainForm) Validate(loc *time.Location, now time.Time) (policy.Target, time.Time, error) {
	t, err := policy.ParseTarget(strings.TrimSpace(f.Target))
	if err != nil || strings.TrimSpace(f.Target) == "" {
		return policy.Target{}, time.Time{}, errExplainTarget
	}
	if strings.TrimSpace(f.Who) == "" {
		return policy.Target{}, time.Time{}, errExplainWho
	}
	at := now
	if s := strings.TrimSpace(f.At); s != "" {
		if at, err = time.ParseInLocation("2006-01-02T15:04", s, loc); err != nil {
			return policy.Target{}, time.Time{}, errExplainAt
		}
	}
	return t, at, nil
}

// explanation is the engine's whole answer, as `schoolgate check` gives it.
type explanation struct {
	Target          string
	Host            string
	Groups          []string
	At              string
	Verdict         string
	Categories      []string
	Illegal         bool
	Match           string
	Rule            string
	Reason          string
	NeedsPermission bool
	Until           string
	NotApplied      []policy.NotApplied
}

// explain decides the form's target with the live overrides. A person is
// placed by the one identity resolver, as the filter places them; asking
// about a named person needs the right to see that person's activity and
// is audited.
func (c *Console) explain(r *http.Request, v *visit, snap *policy.Snapshot, f explainForm) (*explanation, error) {
	ctx := r.Context()
	loc := c.location()
	t, at, err := f.Validate(loc, c.now())
	if err != nil {
		return nil, err
	}
	who := strings.TrimSpace(f.Who)
	var groups policy.Set
	user := ""
	if gi, ok := snap.GroupIndex(who); ok {
		groups.Add(gi)
	} else {
		// A role that may see nobody's activity is refused before the
		// directory is asked, so that it cannot learn who exists.
		if !safeguarding.Can(v.user.Roles, safeguarding.ViewNamedPupilActivity) && !safeguarding.Can(v.user.Roles, safeguarding.ViewNamedStaffActivity) {
			return nil, errExplainPerson
		}
		user = strings.ToLower(who)
		u, err := c.st.GetUserIn(ctx, v.actor.Site, user)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("person or group: %q is neither a group (%s) nor a person in the directory", who, strings.Join(snap.Groups(), ", "))
		case err != nil:
			return nil, err
		}
		need := safeguarding.ViewNamedStaffActivity
		if slices.Contains(u.Roles, identity.RolePupil) || u.YearGroup != "" {
			need = safeguarding.ViewNamedPupilActivity
		}
		if !safeguarding.Can(v.user.Roles, need) {
			return nil, errExplainPerson
		}
		res := identity.NewResolver(nil, c.dir, nil).User(ctx, snap, user, netip.Addr{}, nil)
		if res.Err != nil {
			return nil, res.Err
		}
		if res.Disabled {
			user = "" // placed as an unidentified device, as the filter does
		}
		groups = res.Groups
		if err := c.auditVisit(r, v, "console.policy.explain", "user:"+u.Username, map[string]any{"target": t.Host}); err != nil {
			return nil, err
		}
	}
	ovs, err := c.st.ActiveOverrides(ctx, c.enforcedSite(v), at)
	if err != nil {
		return nil, err
	}
	q := policy.Query{Host: t.Host, Path: t.Path, User: user, Groups: groups, At: at, Overrides: policy.NewOverrides(ovs)}
	d := snap.Decide(&q)
	ex := &explanation{Target: f.Target, Host: t.Host, Groups: snap.GroupNames(groups), At: at.In(loc).Format("Mon 2 Jan 2006 15:04"),
		Verdict: d.Verdict.String(), Categories: snap.CategoryNames(&d), Illegal: d.Illegal, Match: snap.Match(&d),
		Rule: snap.Rule(&d), Reason: snap.Reason(&d), NeedsPermission: d.NeedsPermission, NotApplied: snap.NotApplied(&q, &d)}
	if !d.Until.IsZero() {
		ex.Until = d.Until.In(loc).Format("Mon 2 Jan 2006 15:04")
	}
	return ex, nil
}
