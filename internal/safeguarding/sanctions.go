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
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// SanctionStore is the persistence sanctions need.
type SanctionStore interface {
	GetIncident(ctx context.Context, site string, id int64) (store.Incident, error)
	IncidentEntries(ctx context.Context, site string, id int64) ([]store.IncidentEntry, error)
	GetOverride(ctx context.Context, scope string, id int64) (policy.Override, bool, error)
	RecordSanctions(ctx context.Context, by store.Actor, site string, incidentID int64, list []store.NewSanction) ([]store.Sanction, error)
	RevokeSanction(ctx context.Context, by store.Actor, site string, id int64, reason string) (store.Sanction, error)
	GetSanction(ctx context.Context, site string, id int64) (store.Sanction, error)
	IncidentSanctions(ctx context.Context, site string, incidentID int64) ([]store.Sanction, error)
	SanctionsOf(ctx context.Context, site, username string) ([]store.Sanction, error)
	SanctionTasks(ctx context.Context, site string, openOnly bool) ([]store.SanctionTask, error)
	CompleteSanctionTask(ctx context.Context, by store.Actor, site string, id int64, notes string) error
	Audit(ctx context.Context, by store.Actor, action, object string, before, after any) error
}

// SanctionsOptions builds a Sanctions.
type SanctionsOptions struct {
	Store SanctionStore
	// Config is the policy in force (its sanctions tables, incident and
	// filter categories); nil means the built-in tables only.
	Config func() *config.Config
	Now    func() time.Time
}

// Sanctions records what was done about an incident, for whom: the
// seeds' tables of actions suggest, the person recording picks. Removal
// of network / internet access is a suspension of the filter for that
// person, in force at once on every node and ended by revoking the
// sanction.
type Sanctions struct {
	st  SanctionStore
	cfg func() *config.Config
	now func() time.Time
}

// NewSanctions makes a Sanctions.
func NewSanctions(opt SanctionsOptions) *Sanctions {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Config == nil {
		opt.Config = func() *config.Config { return nil }
	}
	return &Sanctions{st: opt.Store, cfg: opt.Config, now: opt.Now}
}

// CheckSanctions refuses a policy whose sanctions tables name a category
// that is not an incident category (file, line and field named).
func CheckSanctions(c *config.Config) error {
	cats := IncidentCategories(c)
	return c.CheckSanctionCategories(func(name string) bool {
		_, ok := IncidentCategoryNamed(cats, name)
		return ok
	})
}

// MaxSuspension is the longest removal of access one sanction makes.
const MaxSuspension = 366 * 24 * time.Hour

// Suspension scopes: every site, or one category of the filter.
const (
	ScopeAll         = "all"
	ScopeCategoryPfx = "category:"
	// ScopeExceptPfx (everything but an allow-list) is refused: the
	// engine cannot yet express it for one person without opening what
	// the rules block, so the school suspends everything instead.
	ScopeExceptPfx = "except:"
)

// NewSanction is what the person recording picked for an incident.
type NewSanction struct {
	Action string
	// People are the usernames it is for: some of the incident's people;
	// required when the incident involves more than one.
	People []string
	// For and Scope: removal of access only (Scope "all", the default, or
	// "category:NAME").
	For   time.Duration
	Scope string
	// Informed: inform parents / carers only.
	Informed *Informed
	Note     string
}

// Informed is who was informed of a sanction, how and when.
type Informed struct {
	Who  string    `json:"who"`
	How  string    `json:"how"`
	When time.Time `json:"when"`
}

// sanctionDetails is a sanction's Details: what its kind records.
type sanctionDetails struct {
	Note     string    `json:"note,omitempty"`
	Scope    string    `json:"scope,omitempty"`
	For      string    `json:"for,omitempty"`
	Until    time.Time `json:"until,omitzero"`
	Informed *Informed `json:"informed,omitempty"`
}

// SanctionView is one sanction as the console shows it.
type SanctionView struct {
	store.Sanction
	Title    string
	Note     string
	Scope    string
	Until    time.Time // removal of access: when the suspension ends
	Informed *Informed
	// Active: a removal of access in force now.
	Active bool
}

// ActionChoice is one action of a table, marked when the table suggests
// it for the incident's category.
type ActionChoice struct {
	Name, Title string
	Suggested   bool
}

// Suggestions are the tables' actions for an incident: the pupils' table
// when a pupil is involved, the staff table when a member of staff is.
type Suggestions struct {
	Category      IncidentCategory
	Pupils, Staff []ActionChoice
	// People are the incident's directory people, the ones a sanction
	// can be for.
	People []store.IncidentPerson
}

// Suggest returns the tables' suggestions for in.
func (s *Sanctions) Suggest(in store.Incident) Suggestions {
	c := s.cfg()
	var sc config.Sanctions
	if c != nil {
		sc = c.Sanctions
	}
	cat, ok := IncidentCategoryNamed(IncidentCategories(c), in.Category)
	if !ok {
		cat = IncidentCategory{Name: in.Category, Title: in.Category}
	}
	out := Suggestions{Category: cat}
	var pupil, staffer bool
	for _, p := range in.People {
		if p.Username == "" {
			continue
		}
		out.People = append(out.People, p)
		if personIsStaff(p) {
			staffer = true
		} else {
			pupil = true
		}
	}
	choices := func(table config.Ordered[[]string], pupils bool) []ActionChoice {
		row, _ := table.Get(in.Category)
		var list []ActionChoice
		for _, a := range config.SanctionActions() {
			if (pupils && a.Pupils) || (!pupils && a.Staff) {
				list = append(list, ActionChoice{a.Name, a.Title, slices.Contains(row, a.Name)})
			}
		}
		return list
	}
	if pupil {
		out.Pupils = choices(sc.PupilTable(), true)
	}
	if staffer {
		out.Staff = choices(sc.StaffTable(), false)
	}
	return out
}

// personIsStaff: someone involved who held a role other than pupil or
// visitor when the incident was recorded.
func personIsStaff(p store.IncidentPerson) bool {
	roles, _ := identity.ParseStoredRoles(p.Roles)
	return isStaff(roles)
}

// sanctionable fetches an incident a may sanction: a needs Sanction and
// must read the incident in full (an incident about staff needs
// ReadStaffIncidents too).
func (s *Sanctions) sanctionable(ctx context.Context, a Actor, id int64) (store.Incident, error) {
	if err := check(a, Sanction); err != nil {
		return store.Incident{}, err
	}
	in, err := s.st.GetIncident(ctx, s.site(a), id)
	if err != nil {
		return store.Incident{}, err
	}
	if in.AboutStaff {
		if err := check(a, ReadStaffIncidents); err != nil {
			return store.Incident{}, err
		}
	}
	// The category as corrected, for the tables' suggestions.
	entries, err := s.st.IncidentEntries(ctx, s.site(a), id)
	if err != nil {
		return store.Incident{}, err
	}
	return applyCorrections(in, entries), nil
}

// Incident returns an incident a may sanction with the tables'
// suggestions for it (the console's sanctions page).
func (s *Sanctions) Incident(ctx context.Context, a Actor, id int64) (store.Incident, Suggestions, error) {
	in, err := s.sanctionable(ctx, a, id)
	if err != nil {
		return store.Incident{}, Suggestions{}, err
	}
	return in, s.Suggest(in), nil
}

// Record stores what a picked for incident id: one sanction per person.
// Removal of access suspends each person's access now, until For has
// passed; a referral to the technical staff creates their task.
func (s *Sanctions) Record(ctx context.Context, a Actor, id int64, n NewSanction) ([]store.Sanction, error) {
	in, err := s.sanctionable(ctx, a, id)
	if err != nil {
		return nil, err
	}
	action, ok := config.SanctionActionNamed(n.Action)
	if !ok {
		names := make([]string, 0)
		for _, x := range config.SanctionActions() {
			names = append(names, x.Name)
		}
		return nil, fmt.Errorf("%w: action: %q is not an action of the sanctions tables (%s)", ErrInvalid, n.Action, strings.Join(names, ", "))
	}
	people, err := s.whom(in, n.People)
	if err != nil {
		return nil, err
	}
	now := s.now()
	det := sanctionDetails{Note: strings.TrimSpace(n.Note)}
	var susp *policy.Override
	switch action.Name {
	case config.ActionRemovalOfAccess:
		if n.For <= 0 || n.For > MaxSuspension {
			return nil, fmt.Errorf("%w: for: how long access is removed, between a minute and a year (e.g. 7d)", ErrInvalid)
		}
		o := policy.Override{Kind: store.KindSuspension, Verdict: policy.Block, Until: now.Add(n.For),
			// The reason stays in the record; the override, which the
			// console's grant pages show, says only where it came from.
			Reason: fmt.Sprintf("sanction for incident %d", in.ID)}
		if o.Category, err = s.scope(n.Scope); err != nil {
			return nil, err
		}
		det.Scope, det.For, det.Until = ScopeAll, n.For.String(), o.Until.UTC()
		if o.Category != "" {
			det.Scope = ScopeCategoryPfx + o.Category
		}
		susp = &o
	case config.ActionInformParents:
		inf := n.Informed
		if inf == nil || strings.TrimSpace(inf.Who) == "" || strings.TrimSpace(inf.How) == "" || inf.When.IsZero() {
			return nil, fmt.Errorf("%w: informed: say who was informed, how and when", ErrInvalid)
		}
		if inf.When.After(now.Add(5 * time.Minute)) {
			return nil, fmt.Errorf("%w: informed.when: %s is in the future", ErrInvalid, inf.When.Format(time.RFC3339))
		}
		det.Informed = &Informed{Who: strings.TrimSpace(inf.Who), How: strings.TrimSpace(inf.How), When: inf.When.UTC()}
	}
	if action.Name != config.ActionRemovalOfAccess && n.For != 0 {
		return nil, fmt.Errorf("%w: for: only removal of access lasts for a while", ErrInvalid)
	}
	if action.Name != config.ActionRemovalOfAccess && n.Scope != "" {
		return nil, fmt.Errorf("%w: scope: only removal of access has a scope", ErrInvalid)
	}
	if action.Name != config.ActionInformParents && n.Informed != nil {
		return nil, fmt.Errorf("%w: informed: only informing parents / carers records who was informed", ErrInvalid)
	}
	data, err := json.Marshal(det)
	if err != nil {
		return nil, err
	}
	list := make([]store.NewSanction, 0, len(people))
	for _, p := range people {
		st := personIsStaff(p)
		if !(st && action.Staff) && !(!st && action.Pupils) && action.Name != config.ActionRemovalOfAccess {
			table := "pupils'"
			if st {
				table = "staff"
			}
			return nil, fmt.Errorf("%w: action: %q is not in the %s table, which is the one for %s", ErrInvalid, action.Name, table, p.Username)
		}
		ns := store.NewSanction{Sanction: store.Sanction{Username: p.Username, Action: action.Name, Details: string(data)},
			Task: action.Name == config.ActionReferTechnical}
		if susp != nil {
			o := *susp
			o.User = strings.ToLower(p.Username)
			ns.Suspension = &o
		}
		list = append(list, ns)
	}
	return s.st.RecordSanctions(ctx, a.storeActor(), s.site(a), in.ID, list)
}

// whom picks the incident's people a sanction is for: those named (each
// one of the incident's directory people), or its only one.
func (s *Sanctions) whom(in store.Incident, names []string) ([]store.IncidentPerson, error) {
	var known []store.IncidentPerson
	for _, p := range in.People {
		if p.Username != "" {
			known = append(known, p)
		}
	}
	if len(names) == 0 {
		switch len(known) {
		case 0:
			return nil, fmt.Errorf("%w: people: incident %d involves nobody from the user directory", ErrInvalid, in.ID)
		case 1:
			return known, nil
		}
		return nil, fmt.Errorf("%w: people: incident %d involves %d people: say whom the sanction is for", ErrInvalid, in.ID, len(known))
	}
	var out []store.IncidentPerson
	for _, name := range names {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(known, func(p store.IncidentPerson) bool { return strings.EqualFold(p.Username, name) })
		if i < 0 {
			return nil, fmt.Errorf("%w: people: %q is not one of the people involved in incident %d", ErrInvalid, name, in.ID)
		}
		if !slices.ContainsFunc(out, func(p store.IncidentPerson) bool { return p.Username == known[i].Username }) {
			out = append(out, known[i])
		}
	}
	return out, nil
}

// scope reads a removal of access's scope: "" or all (every site), or
// category:NAME (one category of the filter's policy). Everything but an
// allow-list is refused rather than approximated.
func (s *Sanctions) scope(scope string) (category string, err error) {
	scope = strings.TrimSpace(scope)
	switch {
	case scope == "" || scope == ScopeAll:
		return "", nil
	case strings.HasPrefix(scope, ScopeCategoryPfx):
		name := strings.TrimPrefix(scope, ScopeCategoryPfx)
		c := s.cfg()
		if c == nil {
			return "", fmt.Errorf("scope: %w", ErrNoPolicy)
		}
		if _, ok := c.Categories.Get(name); !ok {
			return "", fmt.Errorf("%w: scope: %q is not a category of the policy (categories: %s)", ErrInvalid, name, strings.Join(c.Categories.Names(), ", "))
		}
		return name, nil
	case strings.HasPrefix(scope, ScopeExceptPfx):
		return "", fmt.Errorf("%w: scope: the filter cannot yet remove access to everything but an allow-list; remove access to all sites (scope all) instead", ErrNotApplicable)
	}
	return "", fmt.Errorf("%w: scope: %q (all or category:NAME)", ErrInvalid, scope)
}

// List returns an incident's sanctions and audits the view (it names
// the people sanctioned).
func (s *Sanctions) List(ctx context.Context, a Actor, id int64) ([]SanctionView, error) {
	if _, err := s.sanctionable(ctx, a, id); err != nil {
		return nil, err
	}
	list, err := s.st.IncidentSanctions(ctx, s.site(a), id)
	if err != nil {
		return nil, err
	}
	out, names := s.views(list)
	if err := s.overridesEnded(ctx, out); err != nil {
		return nil, err
	}
	if err := s.st.Audit(ctx, a.storeActor(), "sanctions.view", "incident:"+fmt.Sprint(id), nil, map[string]any{"users": names}); err != nil {
		return nil, err
	}
	return out, nil
}

// overridesEnded clears Active for a suspension ended another way (a
// revoke on the grants page, as any override may be).
func (s *Sanctions) overridesEnded(ctx context.Context, list []SanctionView) error {
	for i := range list {
		if !list[i].Active {
			continue
		}
		_, revoked, err := s.st.GetOverride(ctx, list[i].Site, list[i].OverrideID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		list[i].Active = err == nil && !revoked
	}
	return nil
}

// Views are sanctions as the console shows them (the caller has them
// from Record or Revoke).
func (s *Sanctions) Views(list ...store.Sanction) []SanctionView {
	out, _ := s.views(list)
	return out
}

func (s *Sanctions) views(list []store.Sanction) ([]SanctionView, []string) {
	now := s.now()
	out := make([]SanctionView, 0, len(list))
	var names []string
	for _, sc := range list {
		v := SanctionView{Sanction: sc, Title: sc.Action}
		if a, ok := config.SanctionActionNamed(sc.Action); ok {
			v.Title = a.Title
		}
		var d sanctionDetails
		if json.Unmarshal([]byte(sc.Details), &d) == nil {
			v.Note, v.Scope, v.Until, v.Informed = d.Note, d.Scope, d.Until, d.Informed
		}
		v.Active = sc.OverrideID != 0 && !sc.Revoked() && now.Before(v.Until)
		if !slices.Contains(names, sc.Username) {
			names = append(names, sc.Username)
		}
		out = append(out, v)
	}
	return out, names
}

// Of returns a person's sanctions for their chronology (the caller
// audits the chronology's view): only to those who may sanction, and
// those of an incident about staff only to those who read those.
func (s *Sanctions) Of(ctx context.Context, a Actor, username string) ([]SanctionView, error) {
	if err := check(a, Sanction); err != nil {
		return nil, err
	}
	list, err := s.st.SanctionsOf(ctx, s.site(a), username)
	if err != nil {
		return nil, err
	}
	if !Can(a.Roles, ReadStaffIncidents) {
		kept := list[:0]
		for _, sc := range list {
			in, err := s.st.GetIncident(ctx, s.site(a), sc.IncidentID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			if err == nil && !in.AboutStaff {
				kept = append(kept, sc)
			}
		}
		list = kept
	}
	out, _ := s.views(list)
	if err := s.overridesEnded(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Revoke revokes a sanction (a removal of access ends now), with the
// reason.
func (s *Sanctions) Revoke(ctx context.Context, a Actor, id int64, reason string) (store.Sanction, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return store.Sanction{}, fmt.Errorf("%w: reason: revoking a sanction needs a reason", ErrInvalid)
	}
	if err := check(a, Sanction); err != nil {
		return store.Sanction{}, err
	}
	sc, err := s.st.GetSanction(ctx, s.site(a), id)
	if err != nil {
		return store.Sanction{}, err
	}
	if _, err := s.sanctionable(ctx, a, sc.IncidentID); err != nil {
		return store.Sanction{}, err
	}
	if sc.Revoked() {
		return store.Sanction{}, fmt.Errorf("%w: sanction %d was revoked already", ErrInvalid, id)
	}
	return s.st.RevokeSanction(ctx, a.storeActor(), s.site(a), id, reason)
}

// Tasks lists the technical staff's tasks (open ones, or all): the
// referrals "for action re filtering". They act through the policy and
// the requests flow, so the capability is DecideRequests.
func (s *Sanctions) Tasks(ctx context.Context, a Actor, all bool) ([]store.SanctionTask, error) {
	if err := check(a, DecideRequests); err != nil {
		return nil, err
	}
	list, err := s.st.SanctionTasks(ctx, s.site(a), !all)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, k := range list {
		if !slices.Contains(names, k.Username) {
			names = append(names, k.Username)
		}
	}
	if err := s.st.Audit(ctx, a.storeActor(), "sanction-tasks.view", "sanction-tasks", nil, map[string]any{"tasks": len(list), "users": names}); err != nil {
		return nil, err
	}
	return list, nil
}

// CompleteTask marks a task done with notes on what was done.
func (s *Sanctions) CompleteTask(ctx context.Context, a Actor, id int64, notes string) error {
	if err := check(a, DecideRequests); err != nil {
		return err
	}
	notes = strings.TrimSpace(notes)
	if notes == "" {
		return fmt.Errorf("%w: notes: say what was done", ErrInvalid)
	}
	return s.st.CompleteSanctionTask(ctx, a.storeActor(), s.site(a), id, notes)
}

// site is the scope a reads and writes in: the actor's site, never
// anything from the request and never a default. An actor without one
// finds no record, and the store refuses to write a record for no school
// or for every school ("*").
func (s *Sanctions) site(a Actor) string {
	return a.Site
}
