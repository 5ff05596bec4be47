package safeguarding

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// ChecksStore is what the checks need from storage.
type ChecksStore interface {
	AddCheck(ctx context.Context, by store.Actor, c store.Check, findings []string) (store.Check, []store.Finding, error)
	ListChecks(ctx context.Context, f store.CheckFilter) ([]store.Check, error)
	GetCheck(ctx context.Context, site string, id int64) (store.Check, error)
	AddReview(ctx context.Context, by store.Actor, r store.Review) (store.Review, error)
	ListReviews(ctx context.Context, site string, limit int) ([]store.Review, error)
	LastReview(ctx context.Context, site string) (store.Review, error)
	ListFindings(ctx context.Context, f store.FindingFilter) ([]store.Finding, error)
	ResolveFinding(ctx context.Context, by store.Actor, site string, id int64, how string) (store.Finding, error)
	CountOpenFindings(ctx context.Context, site string) (int64, error)
}

// ChecksOptions build Checks.
type ChecksOptions struct {
	Store     ChecksStore
	Directory Directory
	Now       func() time.Time
}

// Checks are the filtering and monitoring checks of the DfE standards:
// checks recorded by hand or measured by the self-test, the annual
// review, and the findings a failed check raises. Recording needs
// RecordChecks (technical, esafety-lead, dsl, slt); reading ReadChecks
// (those and governors). Every record is the actor's site's.
type Checks struct {
	st  ChecksStore
	dir Directory
	now func() time.Time
}

// NewChecks makes Checks.
func NewChecks(opt ChecksOptions) *Checks {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Checks{st: opt.Store, dir: opt.Directory, now: opt.Now}
}

// SelfTestActor is who measured checks are recorded by: the node, not a
// person (the audit record adds the OS account that ran it).
const SelfTestActor = "schoolgate-selftest"

// ReviewDueAfter is how long after the last review the dashboard warns
// that the annual review is due: eleven months.
const ReviewDueAfter = 11

// site is the actor's site; an actor without one is refused rather than
// given a default, so no record lands in the wrong school.
func site(a Actor) (string, error) {
	if a.Site == "" {
		return "", fmt.Errorf("%w: %s acts for no site", ErrInvalid, a.describe())
	}
	return a.Site, nil
}

// CheckInput is a check recorded by hand.
type CheckInput struct {
	At      time.Time
	Target  string // device or network
	Tested  string
	Result  string
	Actions string
	Details string
	// Corrects is the check this one corrects (with Reason), or 0.
	Corrects int64
	Reason   string
}

// RecordCheck records a check by hand. A failed or partial check raises
// a finding, open until someone says how it was resolved.
func (c *Checks) RecordCheck(ctx context.Context, a Actor, in CheckInput) (store.Check, []store.Finding, error) {
	if err := check(a, RecordChecks); err != nil {
		return store.Check{}, nil, err
	}
	s, err := site(a)
	if err != nil {
		return store.Check{}, nil, err
	}
	if in.At.IsZero() {
		in.At = c.now()
	}
	if in.At.After(c.now().Add(5 * time.Minute)) {
		return store.Check{}, nil, fmt.Errorf("%w: the check's time is in the future", ErrInvalid)
	}
	var findings []string
	if in.Result == store.CheckFail || in.Result == store.CheckPartial {
		findings = []string{fmt.Sprintf("A check by hand %s: %s on %s", describeResult(in.Result), strings.TrimSpace(in.Tested), strings.TrimSpace(in.Target))}
	}
	return c.st.AddCheck(ctx, a.storeActor(), store.Check{Site: s, At: in.At, Target: strings.TrimSpace(in.Target), Tested: strings.TrimSpace(in.Tested),
		Result: in.Result, Actions: strings.TrimSpace(in.Actions), Details: strings.TrimSpace(in.Details), Corrects: in.Corrects, Reason: strings.TrimSpace(in.Reason)}, findings)
}

func describeResult(r string) string {
	if r == store.CheckPartial {
		return "partly failed"
	}
	return "failed"
}

// Measured is a self-test's outcome, to record as a measured check.
type Measured struct {
	At      time.Time
	Target  string // the listeners probed
	Tested  string
	Details string
	// Mismatches each raise a finding; none is a pass.
	Mismatches []string
	// Partial: some probes could not be judged (none mismatched).
	Partial bool
}

// RecordMeasured records a self-test of site as a measured check, and a
// finding per mismatch. The node does it, not a person: no permission
// applies, and the audit record's actor is SelfTestActor.
func (c *Checks) RecordMeasured(ctx context.Context, site string, m Measured) (store.Check, []store.Finding, error) {
	if site == "" {
		return store.Check{}, nil, fmt.Errorf("%w: a self-test needs its site", ErrInvalid)
	}
	result := store.CheckPass
	switch {
	case len(m.Mismatches) > 0:
		result = store.CheckFail
	case m.Partial:
		result = store.CheckPartial
	}
	return c.st.AddCheck(ctx, store.Actor{Name: SelfTestActor}, store.Check{Site: site, At: m.At, Target: m.Target, Tested: m.Tested,
		Result: result, Measured: true, Details: m.Details}, m.Mismatches)
}

// ListChecks returns the actor's site's checks done in [from, to) (zero:
// unbounded), newest first.
func (c *Checks) ListChecks(ctx context.Context, a Actor, from, to time.Time, limit int) ([]store.Check, error) {
	if err := check(a, ReadChecks); err != nil {
		return nil, err
	}
	s, err := site(a)
	if err != nil {
		return nil, err
	}
	return c.st.ListChecks(ctx, store.CheckFilter{Site: s, From: from, To: to, Limit: limit})
}

// GetCheck returns one check with the findings it raised.
func (c *Checks) GetCheck(ctx context.Context, a Actor, id int64) (store.Check, []store.Finding, error) {
	if err := check(a, ReadChecks); err != nil {
		return store.Check{}, nil, err
	}
	s, err := site(a)
	if err != nil {
		return store.Check{}, nil, err
	}
	k, err := c.st.GetCheck(ctx, s, id)
	if err != nil {
		return store.Check{}, nil, err
	}
	fs, err := c.st.ListFindings(ctx, store.FindingFilter{Site: s, CheckID: id})
	return k, fs, err
}

// ReviewInput is an annual review as recorded.
type ReviewInput struct {
	HeldOn       string // YYYY-MM-DD
	Participants []store.Participant
	Reviewed     string
	Decisions    string
	Corrects     int64
	Reason       string
}

// reviewRoles are the roles a review's participants take part in.
var reviewRoles = []identity.Role{identity.RoleSLT, identity.RoleDSL, identity.RoleTechnical, identity.RoleGovernor}

// ErrReviewParticipants: a review without the people the standards ask
// for (a member of the senior leadership team and the DSL).
var ErrReviewParticipants = errors.New("a review needs a member of the senior leadership team (slt) and the designated safeguarding lead (dsl) taking part")

// RecordReview records the annual review. The standards ask for the
// senior leadership team, the DSL, technical staff and a governor: the
// record must name an slt and a dsl, each an enabled person of the
// directory holding that role (one person may take both parts if they
// hold both roles). Technical staff and governors are recorded when they
// took part: by username (checked likewise) or, for a governor without
// an account, by name.
func (c *Checks) RecordReview(ctx context.Context, a Actor, in ReviewInput) (store.Review, error) {
	if err := check(a, RecordChecks); err != nil {
		return store.Review{}, err
	}
	s, err := site(a)
	if err != nil {
		return store.Review{}, err
	}
	day, err := time.Parse(time.DateOnly, strings.TrimSpace(in.HeldOn))
	if err != nil {
		return store.Review{}, fmt.Errorf("%w: review date %q: use YYYY-MM-DD", ErrInvalid, in.HeldOn)
	}
	if day.After(c.now()) {
		return store.Review{}, fmt.Errorf("%w: the review's date is in the future", ErrInvalid)
	}
	parts, err := c.checkParticipants(ctx, in.Participants)
	if err != nil {
		return store.Review{}, err
	}
	return c.st.AddReview(ctx, a.storeActor(), store.Review{Site: s, HeldOn: day.Format(time.DateOnly), Participants: parts,
		Reviewed: strings.TrimSpace(in.Reviewed), Decisions: strings.TrimSpace(in.Decisions), Corrects: in.Corrects, Reason: strings.TrimSpace(in.Reason)})
}

func (c *Checks) checkParticipants(ctx context.Context, in []store.Participant) ([]store.Participant, error) {
	var out []store.Participant
	has := map[identity.Role]bool{}
	for _, p := range in {
		p.Username, p.Name = strings.TrimSpace(p.Username), strings.TrimSpace(p.Name)
		if p.Username == "" && p.Name == "" {
			continue
		}
		role, err := identity.ParseRole(p.Role)
		if err != nil || !slices.Contains(reviewRoles, role) {
			return nil, fmt.Errorf("%w: participant role %q: slt, dsl, technical or governor", ErrInvalid, p.Role)
		}
		switch {
		case p.Username != "":
			u, err := c.dir.Lookup(ctx, p.Username)
			if errors.Is(err, identity.ErrNotFound) || (err == nil && u.Disabled) {
				return nil, fmt.Errorf("%w: %s participant %q is not an enabled person of the user directory", ErrInvalid, role, p.Username)
			}
			if err != nil {
				return nil, fmt.Errorf("looking up a participant: %w", err)
			}
			if !slices.Contains(u.Roles, role) {
				return nil, fmt.Errorf("%w: %q does not hold the %s role", ErrInvalid, p.Username, role)
			}
			if p.Name == "" {
				p.Name = u.DisplayName
			}
		case role == identity.RoleSLT || role == identity.RoleDSL:
			return nil, fmt.Errorf("%w: the %s participant must be a person of the user directory (give their username)", ErrInvalid, role)
		}
		p.Role = string(role)
		has[role] = true
		out = append(out, p)
	}
	if !has[identity.RoleSLT] || !has[identity.RoleDSL] {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, ErrReviewParticipants)
	}
	return out, nil
}

// ListReviews returns the actor's site's reviews, latest first.
func (c *Checks) ListReviews(ctx context.Context, a Actor, limit int) ([]store.Review, error) {
	if err := check(a, ReadChecks); err != nil {
		return nil, err
	}
	s, err := site(a)
	if err != nil {
		return nil, err
	}
	return c.st.ListReviews(ctx, s, limit)
}

// ReviewStatus is what the dashboard says of the annual review.
type ReviewStatus struct {
	Last *store.Review // nil: none recorded
	// Due is set when there is none, or the last was held eleven months
	// ago or more.
	Due bool
	// DueOn is eleven months after the last review.
	DueOn time.Time
}

// ReviewStatus is the last review of the actor's site and whether the
// next is due (at 11 months; loc is the site's time zone).
func (c *Checks) ReviewStatus(ctx context.Context, a Actor, loc *time.Location) (ReviewStatus, error) {
	if err := check(a, ReadChecks); err != nil {
		return ReviewStatus{}, err
	}
	s, err := site(a)
	if err != nil {
		return ReviewStatus{}, err
	}
	r, err := c.st.LastReview(ctx, s)
	if errors.Is(err, store.ErrNotFound) {
		return ReviewStatus{Due: true}, nil
	}
	if err != nil {
		return ReviewStatus{}, err
	}
	held, err := time.ParseInLocation(time.DateOnly, r.HeldOn, loc)
	if err != nil {
		return ReviewStatus{}, fmt.Errorf("review %d: %w", r.ID, err)
	}
	due := held.AddDate(0, ReviewDueAfter, 0)
	return ReviewStatus{Last: &r, DueOn: due, Due: !c.now().In(loc).Before(due)}, nil
}

// ListFindings returns the actor's site's findings (openOnly: those not
// resolved), newest first.
func (c *Checks) ListFindings(ctx context.Context, a Actor, openOnly bool, limit int) ([]store.Finding, error) {
	if err := check(a, ReadChecks); err != nil {
		return nil, err
	}
	s, err := site(a)
	if err != nil {
		return nil, err
	}
	return c.st.ListFindings(ctx, store.FindingFilter{Site: s, OpenOnly: openOnly, Limit: limit})
}

// CountOpenFindings counts the actor's site's open findings.
func (c *Checks) CountOpenFindings(ctx context.Context, a Actor) (int64, error) {
	if err := check(a, ReadChecks); err != nil {
		return 0, err
	}
	s, err := site(a)
	if err != nil {
		return 0, err
	}
	return c.st.CountOpenFindings(ctx, s)
}

// ResolveFinding records how a finding was resolved.
func (c *Checks) ResolveFinding(ctx context.Context, a Actor, id int64, how string) (store.Finding, error) {
	if err := check(a, RecordChecks); err != nil {
		return store.Finding{}, err
	}
	s, err := site(a)
	if err != nil {
		return store.Finding{}, err
	}
	return c.st.ResolveFinding(ctx, a.storeActor(), s, id, how)
}
