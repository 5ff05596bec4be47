package report

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// StoreSources reads the report's sources from the store. Sanctions and
// checks are kept by their own parts of Schoolgate: until one is given
// here, its section says "not recorded yet".
type StoreSources struct {
	Store *store.Store
	// SanctionCounts counts a site's sanctions in a period by kind; nil:
	// not recorded yet.
	SanctionCounts func(ctx context.Context, site string, from, to time.Time) (map[string]int64, error)
	// ChecksIn lists a site's filtering checks and reviews in a period;
	// nil: not recorded yet.
	ChecksIn func(ctx context.Context, site string, from, to time.Time) ([]Check, error)
}

var _ Sources = StoreSources{}

// Incidents reads the incidents with their entries: the category as
// corrected, the kinds of action taken, whether closed.
func (s StoreSources) Incidents(ctx context.Context, site string, from, to time.Time) ([]Incident, error) {
	list, err := s.Store.ListIncidents(ctx, store.IncidentFilter{Site: site, Scope: store.ScopeAll, From: from, To: to})
	if err != nil {
		return nil, err
	}
	out := make([]Incident, 0, len(list))
	for _, in := range list {
		entries, err := s.Store.IncidentEntries(ctx, site, in.ID)
		if err != nil {
			return nil, err
		}
		r := Incident{Category: in.Category, Closed: in.Status == store.IncidentClosed}
		occurred := in.OccurredAt
		seen := map[string]bool{}
		for _, e := range entries {
			kind := ""
			switch e.Kind {
			case "correction":
				field, value := correction(e.Data)
				switch field {
				case "category":
					r.Category = value
				case "occurred_at":
					if t, err := time.Parse(time.RFC3339, value); err == nil {
						occurred = t
					}
				}
			case "referral":
				kind = ActionReferral
			case "action":
				kind = ActionRecorded
			}
			if kind != "" && !seen[kind] {
				seen[kind] = true
				r.Actions = append(r.Actions, kind)
			}
		}
		if occurred.Before(from) || !occurred.Before(to) {
			continue // corrected to a time outside the period
		}
		for _, p := range in.People {
			roles, _ := identity.ParseRoles(p.Roles)
			r.People = append(r.People, Involved{Username: p.Username, Roles: roles})
		}
		out = append(out, r)
	}
	return out, nil
}

// correction reads a correction entry's field and new value (the
// incident log's format: {"field": …, "value": …}).
func correction(data string) (field, value string) {
	var c struct {
		Field string `json:"field"`
		Value string `json:"value"`
	}
	if json.Unmarshal([]byte(data), &c) != nil {
		return "", ""
	}
	return c.Field, c.Value
}

// People is the directory.
func (s StoreSources) People(ctx context.Context, site string) ([]identity.User, error) {
	return s.Store.ListUsers(ctx, site)
}

// Blocked counts one school's blocked attempts from the hourly aggregates.
func (s StoreSources) Blocked(ctx context.Context, site string, from, to time.Time) ([]Attempts, error) {
	rows, err := s.Store.Counts(ctx, site, from, to, []string{"day", "category", "verdict"})
	if err != nil {
		return nil, err
	}
	var out []Attempts
	for _, r := range rows {
		if r.Values[2] != "block" {
			continue
		}
		day, err := time.Parse(time.DateOnly, r.Values[0])
		if err != nil {
			return nil, fmt.Errorf("report: blocked attempts: day %q: %w", r.Values[0], err)
		}
		out = append(out, Attempts{Day: day, Category: r.Values[1], Count: r.Count})
	}
	return out, nil
}

// Changes counts requests decided, overrides made and policy reloads.
func (s StoreSources) Changes(ctx context.Context, from, to time.Time) (Changes, error) {
	n, err := s.Store.CountFilterChanges(ctx, from, to)
	if err != nil {
		return Changes{}, err
	}
	c := Changes{RequestsApproved: n.Approved, RequestsDeclined: n.Denied, Grants: n.Overrides[store.KindGrant], Unblocks: n.Overrides[store.KindUnblock]}
	recs, err := s.Store.ListAudit(ctx, store.AuditFilter{Since: from, Until: to, Action: "policy.reload"})
	if err != nil {
		return Changes{}, err
	}
	for _, r := range recs {
		c.PolicyChanges = append(c.PolicyChanges, r.At)
	}
	return c, nil
}

// Accepted is every acceptance of every version.
func (s StoreSources) Accepted(ctx context.Context) ([]Acceptance, error) {
	list, err := s.Store.ListAcceptances(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]Acceptance, len(list))
	for i, a := range list {
		out[i] = Acceptance{Username: a.User, Group: a.Group, Version: a.Version}
	}
	return out, nil
}

// Sanctions is SanctionCounts, or ErrNotRecorded.
func (s StoreSources) Sanctions(ctx context.Context, site string, from, to time.Time) (map[string]int64, error) {
	if s.SanctionCounts == nil {
		return nil, ErrNotRecorded
	}
	return s.SanctionCounts(ctx, site, from, to)
}

// Checks is ChecksIn, or ErrNotRecorded.
func (s StoreSources) Checks(ctx context.Context, site string, from, to time.Time) ([]Check, error) {
	if s.ChecksIn == nil {
		return nil, ErrNotRecorded
	}
	return s.ChecksIn(ctx, site, from, to)
}

// FromStore is every source the store keeps: incidents, activity,
// requests, acceptances, sanctions, filtering checks and reviews.
func FromStore(st *store.Store) StoreSources {
	return StoreSources{Store: st, ChecksIn: checksFrom(st), SanctionCounts: func(ctx context.Context, site string, from, to time.Time) (map[string]int64, error) {
		m, err := st.SanctionCounts(ctx, site, from, to)
		if err != nil {
			return nil, err
		}
		out := make(map[string]int64, len(m))
		for k, v := range m {
			out[k] = int64(v)
		}
		return out, nil
	}}
}

// checksFrom lists a period's filtering checks (as corrected) and annual
// reviews.
func checksFrom(st *store.Store) func(ctx context.Context, site string, from, to time.Time) ([]Check, error) {
	return func(ctx context.Context, site string, from, to time.Time) ([]Check, error) {
		cs, err := st.ListChecks(ctx, store.CheckFilter{Site: site, From: from, To: to, Current: true, Limit: -1})
		if err != nil {
			return nil, err
		}
		var out []Check
		for _, c := range cs {
			out = append(out, Check{At: c.At, Kind: "check", Passed: c.Result == store.CheckPass, Measured: c.Measured})
		}
		rs, err := st.ListReviews(ctx, site, 0)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			held, err := time.Parse(time.DateOnly, r.HeldOn)
			if err != nil || held.Before(from) || !held.Before(to) || r.CorrectedBy != 0 {
				continue
			}
			out = append(out, Check{At: held, Kind: "review", Passed: true})
		}
		return out, nil
	}
}
