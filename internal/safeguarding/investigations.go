package safeguarding

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// InvestigationStore is the persistence investigations need.
type InvestigationStore interface {
	GetIncident(ctx context.Context, site string, id int64) (store.Incident, error)
	OpenInvestigation(ctx context.Context, by store.Actor, in store.Investigation) (store.Investigation, error)
	GetInvestigation(ctx context.Context, site string, id int64) (store.Investigation, error)
	InvestigationOfIncident(ctx context.Context, site string, incident int64) (int64, error)
	AddInvestigationSite(ctx context.Context, by store.Actor, site string, id int64, e store.InvestigationSite, stopReason string) (store.InvestigationSite, error)
	AddInvestigationScreenshot(ctx context.Context, by store.Actor, site string, id, entry int64, mime string, content []byte) (store.Screenshot, error)
	InvestigationScreenshot(ctx context.Context, by store.Actor, site string, id, shot int64) (store.Screenshot, error)
	SignInvestigation(ctx context.Context, by store.Actor, site string, id int64, sg store.Signature) (store.Signature, error)
	RecordInvestigationReferral(ctx context.Context, by store.Actor, site string, id int64, r store.Referral) (store.Referral, error)
	ConcludeInvestigation(ctx context.Context, by store.Actor, site string, id int64, conclusion, action string, browsing []store.BrowsingRow) error
	SearchActivity(ctx context.Context, by store.Actor, f store.ActivityFilter, fn func(activity.Event) error) error
	Audit(ctx context.Context, by store.Actor, action, object string, before, after any) error
}

// InvestigationsOptions builds an Investigations.
type InvestigationsOptions struct {
	Store InvestigationStore
	// Snapshot is the running policy: a site whose host it puts in an
	// illegal category stops the review. nil (or returning nil) refuses
	// to add sites at all.
	Snapshot func() *policy.Snapshot
	// Verify checks a signer's password or code at the moment of signing.
	Verify Verifier
	Now    func() time.Time
}

// Investigations runs the Appendix G record: two reviewers, each signing
// with their password or code, the review computer recorded at the start,
// the investigators' own browsing linked, and the illegal path that stops
// the review and records the referral.
type Investigations struct {
	st     InvestigationStore
	snap   func() *policy.Snapshot
	verify Verifier
	now    func() time.Time
}

// NewInvestigations makes an Investigations.
func NewInvestigations(opt InvestigationsOptions) *Investigations {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Snapshot == nil {
		opt.Snapshot = func() *policy.Snapshot { return nil }
	}
	return &Investigations{st: opt.Store, snap: opt.Snapshot, verify: opt.Verify, now: opt.Now}
}

// MaxScreenshotBytes is the largest screenshot accepted.
const MaxScreenshotBytes = 5 << 20

// Investigation errors.
var (
	// ErrReviewStopped: a police matter stopped the review.
	ErrReviewStopped = store.ErrReviewStopped
	// ErrConcluded: a concluded record is frozen.
	ErrConcluded = store.ErrConcluded
	// ErrNotSigned: concluding needs two signatures by two people.
	ErrNotSigned = store.ErrNotSigned
	// ErrAlreadySigned: the same person cannot sign twice.
	ErrAlreadySigned = errors.New("has signed this record already: the second signature must be another person's")
)

// OpenInvestigation is the form's opening part.
type OpenInvestigation struct {
	Group            string
	Date             string // YYYY-MM-DD; empty: today
	ReasonKind       string
	Reason           string
	ComputerName     string
	ComputerLocation string
}

// InvestigationView is a record as its reviewers see it.
type InvestigationView struct {
	store.Investigation
	Incident store.Incident
	Reasons  []InvestigationReason
	// Browsing is the investigators' own browsing since the start: live
	// from the activity log until the conclusion, the copy after.
	Browsing []store.BrowsingRow
	Steps    []ReferralStep // when stopped
}

// ReasonTitle is a reason's words.
func (v InvestigationView) ReasonTitle(name string) string {
	if r, ok := investigationReason(v.Reasons, name); ok {
		return r.Title
	}
	return name
}

// Signed says whether username has signed.
func (v InvestigationView) Signed(username string) bool {
	return slices.ContainsFunc(v.Signatures, func(s store.Signature) bool { return s.Username == username })
}

func (s *Investigations) reasons() []InvestigationReason {
	var cfg *config.Config
	if snap := s.snap(); snap != nil {
		cfg = snap.Config()
	}
	return InvestigationReasons(cfg)
}

// Reasons is the reasons for investigation or concern in force.
func (s *Investigations) Reasons() []InvestigationReason { return s.reasons() }

// mayInvestigate: the Investigate capability, and for an incident about
// staff the dsl or slt (an esafety-lead investigates pupils only).
func mayInvestigate(a Actor, in store.Incident) error {
	if err := check(a, Investigate); err != nil {
		return err
	}
	if in.AboutStaff {
		return check(a, ReadStaffIncidents)
	}
	return nil
}

// Open opens the record from an incident a may investigate and moves the
// incident to under investigation. A police reason opens it stopped.
func (s *Investigations) Open(ctx context.Context, a Actor, incident int64, f OpenInvestigation) (store.Investigation, error) {
	if err := check(a, Investigate); err != nil {
		return store.Investigation{}, err
	}
	f.Group, f.Reason = strings.TrimSpace(f.Group), strings.TrimSpace(f.Reason)
	f.ComputerName, f.ComputerLocation = strings.TrimSpace(f.ComputerName), strings.TrimSpace(f.ComputerLocation)
	reason, ok := investigationReason(s.reasons(), f.ReasonKind)
	switch {
	case f.Group == "":
		return store.Investigation{}, fmt.Errorf("%w: group: name the group investigating", ErrInvalid)
	case !ok:
		return store.Investigation{}, fmt.Errorf("%w: reason_kind: choose the reason for investigation", ErrInvalid)
	case f.Reason == "":
		return store.Investigation{}, fmt.Errorf("%w: reason: describe the reason for investigation", ErrInvalid)
	case f.ComputerName == "":
		return store.Investigation{}, fmt.Errorf("%w: computer_name: name the computer used for the review (recorded at the start)", ErrInvalid)
	case f.ComputerLocation == "":
		return store.Investigation{}, fmt.Errorf("%w: computer_location: say where the review computer is", ErrInvalid)
	}
	if f.Date == "" {
		f.Date = s.now().In(s.location()).Format(time.DateOnly)
	} else if _, err := time.Parse(time.DateOnly, f.Date); err != nil {
		return store.Investigation{}, fmt.Errorf("%w: date: %q is not a date (YYYY-MM-DD)", ErrInvalid, f.Date)
	}
	in, err := s.st.GetIncident(ctx, a.Site, incident)
	if err != nil {
		return store.Investigation{}, err
	}
	if err := mayInvestigate(a, in); err != nil {
		return store.Investigation{}, err
	}
	inv := store.Investigation{Site: in.Site, IncidentID: incident, Group: f.Group, Date: f.Date, ReasonKind: reason.Name, Reason: f.Reason,
		ComputerName: f.ComputerName, ComputerLocation: f.ComputerLocation}
	if reason.Police {
		inv.State, inv.StopReason = store.InvestigationStopped, "Reason for investigation: "+reason.Title
	}
	return s.st.OpenInvestigation(ctx, a.storeActor(), inv)
}

func (s *Investigations) location() *time.Location {
	if snap := s.snap(); snap != nil && snap.Location() != nil {
		return snap.Location()
	}
	return time.UTC
}

// OfIncident returns the id of an incident's investigation
// (store.ErrNotFound: none).
func (s *Investigations) OfIncident(ctx context.Context, a Actor, incident int64) (int64, error) {
	in, err := s.st.GetIncident(ctx, a.Site, incident)
	if err != nil {
		return 0, err
	}
	if err := mayInvestigate(a, in); err != nil {
		return 0, err
	}
	return s.st.InvestigationOfIncident(ctx, a.Site, incident)
}

// load fetches a record a may work on, with its incident.
func (s *Investigations) load(ctx context.Context, a Actor, id int64) (store.Investigation, store.Incident, error) {
	if err := check(a, Investigate); err != nil {
		return store.Investigation{}, store.Incident{}, err
	}
	inv, err := s.st.GetInvestigation(ctx, a.Site, id)
	if err != nil {
		return store.Investigation{}, store.Incident{}, err
	}
	in, err := s.st.GetIncident(ctx, a.Site, inv.IncidentID)
	if err != nil {
		return store.Investigation{}, store.Incident{}, err
	}
	return inv, in, mayInvestigate(a, in)
}

// Get returns the record, audited as a view of the people involved, with
// the investigators' browsing so far.
func (s *Investigations) Get(ctx context.Context, a Actor, id int64) (InvestigationView, error) {
	inv, in, err := s.load(ctx, a, id)
	if err != nil {
		return InvestigationView{}, err
	}
	var names []string
	for _, p := range in.People {
		if p.Username != "" {
			names = append(names, p.Username)
		}
	}
	if err := s.st.Audit(ctx, a.storeActor(), "investigation.view", "investigation:"+fmt.Sprint(id), nil, map[string]any{"incident": in.ID, "users": names}); err != nil {
		return InvestigationView{}, err
	}
	v := InvestigationView{Investigation: inv, Incident: in, Reasons: s.reasons(), Browsing: inv.Browsing}
	if inv.State != store.InvestigationConcluded {
		if v.Browsing, err = s.browsing(ctx, a, inv, s.now()); err != nil {
			return InvestigationView{}, err
		}
	}
	if inv.Stopped() {
		v.Steps = ReferralSteps
	}
	return v, nil
}

// investigators are the people taking part: whoever opened the record
// and whoever signed it.
func investigators(inv store.Investigation) []string {
	out := []string{inv.OpenedBy}
	for _, sg := range inv.Signatures {
		if !slices.Contains(out, sg.Username) {
			out = append(out, sg.Username)
		}
	}
	return out
}

// browsing is the investigators' own activity (through the proxy and
// DNS, identified as them) from the start of the review until until,
// oldest first: "monitored and recorded", as the seeds require.
func (s *Investigations) browsing(ctx context.Context, a Actor, inv store.Investigation, until time.Time) ([]store.BrowsingRow, error) {
	var out []store.BrowsingRow
	for _, u := range investigators(inv) {
		err := s.st.SearchActivity(ctx, a.storeActor(), store.ActivityFilter{User: u, Since: inv.OpenedAt, Until: until, Limit: -1}, func(e activity.Event) error {
			client := ""
			if e.Client.IsValid() {
				client = e.Client.String()
			}
			out = append(out, store.BrowsingRow{At: e.Time, User: e.User, Client: client, Host: e.Host, URL: e.URL, Verdict: e.Verdict,
				Categories: strings.Join(e.Categories, ",")})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("the investigators' browsing: %w", err)
		}
	}
	slices.SortStableFunc(out, func(x, y store.BrowsingRow) int { return x.At.Compare(y.At) })
	return out, nil
}

// Incident returns the incident a record would be opened from, when a
// may investigate it; the view is audited as the incident's.
func (s *Investigations) Incident(ctx context.Context, a Actor, incident int64) (store.Incident, error) {
	if err := check(a, Investigate); err != nil {
		return store.Incident{}, err
	}
	in, err := s.st.GetIncident(ctx, a.Site, incident)
	if err != nil {
		return store.Incident{}, err
	}
	if err := mayInvestigate(a, in); err != nil {
		return store.Incident{}, err
	}
	var names []string
	for _, p := range in.People {
		if p.Username != "" {
			names = append(names, p.Username)
		}
	}
	if err := s.st.Audit(ctx, a.storeActor(), "incident.view", "incident:"+fmt.Sprint(incident), nil, map[string]any{"users": names, "for": "investigation"}); err != nil {
		return store.Incident{}, err
	}
	return in, nil
}
