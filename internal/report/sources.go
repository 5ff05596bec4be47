package report

import (
	"context"
	"errors"
	"time"

	"schoolgate/internal/identity"
)

// ErrNotRecorded: a source the report reads is not recorded by this
// installation yet. Its section says so rather than showing zeros.
var ErrNotRecorded = errors.New("not recorded yet")

// Sources is everything the report is computed from. Each method reads
// one site's records (or the installation's, for what has no site yet);
// none of what they return leaves the report package except as counts.
type Sources interface {
	// Incidents are the incidents of site that occurred in [from, to),
	// with corrections applied.
	Incidents(ctx context.Context, site string, from, to time.Time) ([]Incident, error)
	// People is site's directory (the enabled and the disabled).
	People(ctx context.Context, site string) ([]identity.User, error)
	// Blocked counts the blocked attempts by day and category.
	Blocked(ctx context.Context, site string, from, to time.Time) ([]Attempts, error)
	// Changes counts the filtering changes made in [from, to).
	Changes(ctx context.Context, from, to time.Time) (Changes, error)
	// Accepted is who accepted which version of which group's AUA.
	Accepted(ctx context.Context) ([]Acceptance, error)
	// Sanctions counts the sanctions of site recorded in [from, to) by
	// kind; ErrNotRecorded when sanctions are not kept.
	Sanctions(ctx context.Context, site string, from, to time.Time) (map[string]int64, error)
	// Checks are the filtering checks and reviews of site done in
	// [from, to); ErrNotRecorded when checks are not kept.
	Checks(ctx context.Context, site string, from, to time.Time) ([]Check, error)
}

// Incident is what the report needs of one incident: never its summary,
// outcome or who reported it.
type Incident struct {
	Category string
	People   []Involved
	// Actions are the kinds of what was done (ActionReferral,
	// ActionRecorded, or a sanction's kind), once each.
	Actions []string
	Closed  bool
}

// Involved is one person in an incident: a directory person (Username)
// or an outsider (no username). Roles are those held when it was
// recorded.
type Involved struct {
	Username string
	Roles    []identity.Role
}

// Action kinds the store records for every incident.
const (
	ActionReferral = "referral"
	ActionRecorded = "action"
)

// Attempts is a day's blocked attempts in one category (UTC date).
type Attempts struct {
	Day      time.Time
	Category string
	Count    int64
}

// Changes are the filtering changes made through Schoolgate in a period.
type Changes struct {
	RequestsApproved int64
	RequestsDeclined int64
	Grants           int64 // staff grants of a permission cell
	Unblocks         int64 // unblocks (approved requests' and made directly)
	PolicyChanges    []time.Time
}

// Acceptance is one person's acceptance of a group's agreement.
type Acceptance struct {
	Username, Group, Version string
}

// Check is one filtering check or review.
type Check struct {
	At     time.Time
	Kind   string // "check" or "review"
	Passed bool
	// Measured: Schoolgate's own self-test; otherwise recorded by hand.
	Measured bool
}
