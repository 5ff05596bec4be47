package safeguarding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// IncidentStore is the persistence the incident log needs.
type IncidentStore interface {
	CreateIncident(ctx context.Context, by store.Actor, in store.Incident) (store.Incident, error)
	GetIncident(ctx context.Context, site string, id int64) (store.Incident, error)
	ListIncidents(ctx context.Context, f store.IncidentFilter) ([]store.Incident, error)
	AppendIncidentEntry(ctx context.Context, by store.Actor, site string, id int64, e store.IncidentEntry) (store.IncidentEntry, error)
	IncidentEntries(ctx context.Context, site string, id int64) ([]store.IncidentEntry, error)
	AddIncidentEvidence(ctx context.Context, by store.Actor, site string, id int64, ev store.IncidentEvidence) (store.IncidentEvidence, error)
	IncidentEvidenceOf(ctx context.Context, site string, id int64) ([]store.IncidentEvidence, error)
	Audit(ctx context.Context, by store.Actor, action, object string, before, after any) error
}

// IncidentsOptions builds an Incidents.
type IncidentsOptions struct {
	Store     IncidentStore
	Directory Directory
	// Config is the policy in force (its incidents.categories); nil
	// means the built-in categories only.
	Config func() *config.Config
	Now    func() time.Time
}

// Incidents is the incident log (the seeds' Reporting Log): who may
// record, read, add to and close incidents, and what an incident is.
type Incidents struct {
	st  IncidentStore
	dir Directory
	cfg func() *config.Config
	now func() time.Time
}

// NewIncidents makes an Incidents.
func NewIncidents(opt IncidentsOptions) *Incidents {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Config == nil {
		opt.Config = func() *config.Config { return nil }
	}
	return &Incidents{st: opt.Store, dir: opt.Directory, cfg: opt.Config, now: opt.Now}
}

// Incident entry kinds.
const (
	EntryAction     = "action"     // something done: what, by whom, when
	EntryCorrection = "correction" // a field's new value, with the reason
	EntryStatus     = "status"     // a new status (and the outcome on closing)
	EntryReferral   = "referral"   // referred to: whom, reference, when
	EntryNote       = "note"
)

// Correctable fields of an incident.
var correctable = []string{"occurred_at", "category", "summary"}

// NewIncident is what a person records.
type NewIncident struct {
	OccurredAt time.Time
	Category   string
	Summary    string
	People     []string // usernames of the directory
	Outsiders  []string // people from outside, by description
	// Evidence is copied into the record as it is made (so that whoever
	// reports an incident about staff, who may not open it afterwards,
	// can still attach what they saw).
	Evidence []Evidence
}

// Evidence is something the filter saw: its kind (activity, concern,
// alert), its id, and its content, kept as JSON.
type Evidence struct {
	Kind, Ref string
	Copied    any
}

func (e Evidence) toStore() (store.IncidentEvidence, error) {
	switch e.Kind {
	case "activity", "concern", "alert":
	default:
		return store.IncidentEvidence{}, fmt.Errorf("%w: evidence kind %q (activity, concern or alert)", ErrInvalid, e.Kind)
	}
	data, err := json.Marshal(e.Copied)
	if err != nil {
		return store.IncidentEvidence{}, fmt.Errorf("%w: evidence: %w", ErrInvalid, err)
	}
	return store.IncidentEvidence{Kind: e.Kind, Ref: e.Ref, Copied: string(data)}, nil
}

// IncidentView is one incident as a reader may see it.
type IncidentView struct {
	store.Incident
	Entries  []store.IncidentEntry
	Evidence []store.IncidentEvidence
	// Restricted: the reader only reported this incident about staff and
	// may know no more than that they did (Incident holds only its id,
	// dates, and status).
	Restricted bool
	// Current is the record with corrections applied (Incident is as
	// first written).
	Current store.Incident
}

// Categories is the kinds of incident in force. Never empty.
func (s *Incidents) Categories() []IncidentCategory { return IncidentCategories(s.cfg()) }

// Record stores a new incident reported by a.
func (s *Incidents) Record(ctx context.Context, a Actor, n NewIncident) (store.Incident, error) {
	if err := check(a, RecordIncident); err != nil {
		return store.Incident{}, err
	}
	if _, ok := IncidentCategoryNamed(s.Categories(), n.Category); !ok {
		return store.Incident{}, fmt.Errorf("%w: category: no incident category %q", ErrInvalid, n.Category)
	}
	n.Summary = strings.TrimSpace(n.Summary)
	if n.Summary == "" {
		return store.Incident{}, fmt.Errorf("%w: summary: say what happened", ErrInvalid)
	}
	if n.OccurredAt.IsZero() {
		return store.Incident{}, fmt.Errorf("%w: occurred_at: when did it happen?", ErrInvalid)
	}
	if n.OccurredAt.After(s.now().Add(5 * time.Minute)) {
		return store.Incident{}, fmt.Errorf("%w: occurred_at: %s is in the future", ErrInvalid, n.OccurredAt.Format(time.RFC3339))
	}
	school, err := a.school()
	if err != nil {
		return store.Incident{}, err
	}
	in := store.Incident{Site: school, OccurredAt: n.OccurredAt, Category: n.Category, Summary: n.Summary}
	seen := map[string]bool{}
	for _, name := range n.People {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		u, err := s.dir.Lookup(ctx, name)
		if errors.Is(err, identity.ErrNotFound) {
			return store.Incident{}, fmt.Errorf("%w: people: no one named %q in the user directory (describe someone from outside instead)", ErrInvalid, name)
		}
		if err != nil {
			return store.Incident{}, fmt.Errorf("looking up the people involved: %w", err)
		}
		if isStaff(u.Roles) {
			in.AboutStaff = true
		}
		in.People = append(in.People, store.IncidentPerson{Username: u.Username, Roles: identity.JoinRoles(u.Roles)})
	}
	for _, d := range n.Outsiders {
		if d = strings.TrimSpace(d); d != "" {
			in.People = append(in.People, store.IncidentPerson{Description: d})
		}
	}
	for _, e := range n.Evidence {
		ev, err := e.toStore()
		if err != nil {
			return store.Incident{}, err
		}
		in.Evidence = append(in.Evidence, ev)
	}
	return s.st.CreateIncident(ctx, a.storeActor(), in)
}

// isStaff: anyone holding a role other than pupil or visitor.
func isStaff(roles []identity.Role) bool {
	for _, r := range roles {
		if r != identity.RolePupil && r != identity.RoleVisitor {
			return true
		}
	}
	return false
}

// readsAll reports whether a may read every detail of in.
func readsAll(a Actor, in store.Incident) bool {
	if in.AboutStaff {
		return Can(a.Roles, ReadStaffIncidents)
	}
	return Can(a.Roles, ReadPupilIncidents) || in.ReportedBy == a.Username
}

// scope is the widest list a may see.
func incidentScope(a Actor) store.IncidentScope {
	switch {
	case Can(a.Roles, ReadStaffIncidents) && Can(a.Roles, ReadPupilIncidents):
		return store.ScopeAll
	case Can(a.Roles, ReadPupilIncidents):
		return store.ScopePupils
	}
	return store.ScopeReported
}

// List returns the incidents a may see, newest first; an incident about
// staff that a only reported comes back restricted to its id, dates and
// status.
func (s *Incidents) List(ctx context.Context, a Actor, f store.IncidentFilter) ([]IncidentView, error) {
	if !Can(a.Roles, RecordIncident) && !Can(a.Roles, ReadPupilIncidents) && !Can(a.Roles, ReadStaffIncidents) {
		return nil, &ForbiddenError{Actor: a, Capability: ReadPupilIncidents}
	}
	f.Site, f.Reader, f.Scope = a.Site, a.Username, incidentScope(a)
	list, err := s.st.ListIncidents(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]IncidentView, 0, len(list))
	var names []string
	for _, in := range list {
		v := IncidentView{Incident: in, Current: in}
		if !readsAll(a, in) {
			v = restricted(in)
		} else {
			for _, p := range in.People {
				if p.Username != "" && !slices.Contains(names, p.Username) {
					names = append(names, p.Username)
				}
			}
		}
		out = append(out, v)
	}
	if err := s.st.Audit(ctx, a.storeActor(), "incidents.view", "incidents", nil, map[string]any{"incidents": len(out), "users": names}); err != nil {
		return nil, err
	}
	return out, nil
}

func restricted(in store.Incident) IncidentView {
	r := store.Incident{ID: in.ID, Site: in.Site, ReportedBy: in.ReportedBy, ReportedAt: in.ReportedAt, Status: in.Status, AboutStaff: true}
	return IncidentView{Incident: r, Current: r, Restricted: true}
}

// Get returns one incident as a may see it, with its history and
// evidence, and audits the view. An incident a may not see at all is
// ErrForbidden; one of another site is store.ErrNotFound.
func (s *Incidents) Get(ctx context.Context, a Actor, id int64) (IncidentView, error) {
	in, err := s.st.GetIncident(ctx, a.Site, id)
	if err != nil {
		return IncidentView{}, err
	}
	if !readsAll(a, in) {
		if in.ReportedBy == a.Username {
			return restricted(in), nil
		}
		c := ReadPupilIncidents
		if in.AboutStaff {
			c = ReadStaffIncidents
		}
		return IncidentView{}, &ForbiddenError{Actor: a, Capability: c}
	}
	v := IncidentView{Incident: in}
	if v.Entries, err = s.st.IncidentEntries(ctx, a.Site, id); err != nil {
		return IncidentView{}, err
	}
	if v.Evidence, err = s.st.IncidentEvidenceOf(ctx, a.Site, id); err != nil {
		return IncidentView{}, err
	}
	v.Current = applyCorrections(in, v.Entries)
	var names []string
	for _, p := range in.People {
		if p.Username != "" {
			names = append(names, p.Username)
		}
	}
	if err := s.st.Audit(ctx, a.storeActor(), "incident.view", "incident:"+fmt.Sprint(id), nil, map[string]any{"users": names}); err != nil {
		return IncidentView{}, err
	}
	return v, nil
}

// correctionData is a correction entry's Data.
type correctionData struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

func applyCorrections(in store.Incident, entries []store.IncidentEntry) store.Incident {
	for _, e := range entries {
		if e.Kind != EntryCorrection {
			continue
		}
		var c correctionData
		if json.Unmarshal([]byte(e.Data), &c) != nil {
			continue
		}
		switch c.Field {
		case "summary":
			in.Summary = c.Value
		case "category":
			in.Category = c.Value
		case "occurred_at":
			if t, err := time.Parse(time.RFC3339, c.Value); err == nil {
				in.OccurredAt = t
			}
		}
	}
	return in
}

// writable fetches an incident a may add to: one they may read in full.
func (s *Incidents) writable(ctx context.Context, a Actor, id int64) (store.Incident, error) {
	in, err := s.st.GetIncident(ctx, a.Site, id)
	if err != nil {
		return store.Incident{}, err
	}
	if !readsAll(a, in) {
		c := ReadPupilIncidents
		if in.AboutStaff {
			c = ReadStaffIncidents
		}
		return store.Incident{}, &ForbiddenError{Actor: a, Capability: c}
	}
	return in, nil
}

// AddAction appends an action taken (what was done; by a, now).
func (s *Incidents) AddAction(ctx context.Context, a Actor, id int64, what string) (store.IncidentEntry, error) {
	what = strings.TrimSpace(what)
	if what == "" {
		return store.IncidentEntry{}, fmt.Errorf("%w: action: say what was done", ErrInvalid)
	}
	in, err := s.writable(ctx, a, id)
	if err != nil {
		return store.IncidentEntry{}, err
	}
	if in.Status == store.IncidentClosed {
		return store.IncidentEntry{}, fmt.Errorf("%w: incident %d is closed", ErrInvalid, id)
	}
	return s.st.AppendIncidentEntry(ctx, a.storeActor(), a.Site, id, store.IncidentEntry{Kind: EntryAction, Text: what})
}

// Correct records a new value for one field, with the reason; the
// original stays in the record.
func (s *Incidents) Correct(ctx context.Context, a Actor, id int64, field, value, reason string) (store.IncidentEntry, error) {
	if !slices.Contains(correctable, field) {
		return store.IncidentEntry{}, fmt.Errorf("%w: field: %q cannot be corrected (one of %s)", ErrInvalid, field, strings.Join(correctable, ", "))
	}
	value, reason = strings.TrimSpace(value), strings.TrimSpace(reason)
	if reason == "" {
		return store.IncidentEntry{}, fmt.Errorf("%w: reason: a correction needs a reason", ErrInvalid)
	}
	switch field {
	case "category":
		if _, ok := IncidentCategoryNamed(s.Categories(), value); !ok {
			return store.IncidentEntry{}, fmt.Errorf("%w: category: no incident category %q", ErrInvalid, value)
		}
	case "occurred_at":
		t, err := time.Parse(time.RFC3339, value)
		if err != nil {
			return store.IncidentEntry{}, fmt.Errorf("%w: occurred_at: %q is not an RFC 3339 time", ErrInvalid, value)
		}
		value = t.UTC().Format(time.RFC3339)
	case "summary":
		if value == "" {
			return store.IncidentEntry{}, fmt.Errorf("%w: summary: say what happened", ErrInvalid)
		}
	}
	if _, err := s.writable(ctx, a, id); err != nil {
		return store.IncidentEntry{}, err
	}
	data, _ := json.Marshal(correctionData{field, value})
	return s.st.AppendIncidentEntry(ctx, a.storeActor(), a.Site, id, store.IncidentEntry{Kind: EntryCorrection, Text: field, Reason: reason, Data: string(data)})
}

// SetStatus moves an incident to open or under investigation. Closing is
// Close, which needs an outcome.
func (s *Incidents) SetStatus(ctx context.Context, a Actor, id int64, status string) error {
	if status != store.IncidentOpen && status != store.IncidentInvestigating {
		return fmt.Errorf("%w: status: %q (open or %s; closing needs an outcome)", ErrInvalid, status, store.IncidentInvestigating)
	}
	if err := s.lead(a, id, ctx); err != nil {
		return err
	}
	_, err := s.st.AppendIncidentEntry(ctx, a.storeActor(), a.Site, id, store.IncidentEntry{Kind: EntryStatus, Text: status})
	return err
}

// Close closes an incident with its outcome. Only those who may read
// every incident of its kind close it (not merely whoever reported it).
func (s *Incidents) Close(ctx context.Context, a Actor, id int64, outcome string) error {
	outcome = strings.TrimSpace(outcome)
	if outcome == "" {
		return fmt.Errorf("%w: outcome: closing an incident needs its outcome", ErrInvalid)
	}
	if err := s.lead(a, id, ctx); err != nil {
		return err
	}
	_, err := s.st.AppendIncidentEntry(ctx, a.storeActor(), a.Site, id, store.IncidentEntry{Kind: EntryStatus, Text: store.IncidentClosed, Data: outcome})
	return err
}

// lead checks that a leads on incidents of this kind.
func (s *Incidents) lead(a Actor, id int64, ctx context.Context) error {
	in, err := s.st.GetIncident(ctx, a.Site, id)
	if err != nil {
		return err
	}
	c := ReadPupilIncidents
	if in.AboutStaff {
		c = ReadStaffIncidents
	}
	return check(a, c)
}

// LinkEvidence copies something the filter saw (an activity event, a
// concern, an alert: kind, its id, and its content as JSON) into the
// incident.
func (s *Incidents) LinkEvidence(ctx context.Context, a Actor, id int64, kind, ref string, copied any) (store.IncidentEvidence, error) {
	ev, err := Evidence{Kind: kind, Ref: ref, Copied: copied}.toStore()
	if err != nil {
		return store.IncidentEvidence{}, err
	}
	if _, err := s.writable(ctx, a, id); err != nil {
		return store.IncidentEvidence{}, err
	}
	return s.st.AddIncidentEvidence(ctx, a.storeActor(), a.Site, id, ev)
}
