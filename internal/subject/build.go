// Package subject builds a subject-access export: everything Schoolgate
// holds about one person, other people's names replaced by their role,
// as JSON and a readable HTML index in one ZIP. What may be released,
// and who may ask, is the safeguarding package's business.
package subject

import (
	"context"
	"fmt"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// Sources is what an export reads.
type Sources interface {
	GetUser(ctx context.Context, username string) (identity.User, error)
	ListUsers(ctx context.Context, scope string) ([]identity.User, error)
	DateOfBirth(ctx context.Context, username string) (string, error)
	SearchActivity(ctx context.Context, by store.Actor, f store.ActivityFilter, fn func(activity.Event) error) error
	SubjectRequests(ctx context.Context, username string) ([]store.Request, error)
	SubjectOverrides(ctx context.Context, username string) ([]policy.Override, error)
	SubjectAcceptances(ctx context.Context, username string) ([]store.Acceptance, error)
	SubjectConcerns(ctx context.Context, username string) ([]store.Concern, error)
	ConcernNotes(ctx context.Context, id int64) ([]store.ConcernNote, error)
	ListIncidents(ctx context.Context, f store.IncidentFilter) ([]store.Incident, error)
	IncidentEntries(ctx context.Context, site string, id int64) ([]store.IncidentEntry, error)
	SanctionsOf(ctx context.Context, site, username string) ([]store.Sanction, error)
}

// Item is one thing held, under a key the dsl can withhold it by.
type Item struct {
	Key   string    `json:"key"`
	At    time.Time `json:"at"`
	Title string    `json:"title"`
	Data  any       `json:"data"`
}

// Section is one kind of data.
type Section struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Whole: the section is withheld or released as one item (the
	// activity log), keyed by its name.
	Whole bool   `json:"-"`
	Items []Item `json:"items"`
}

// Profile is the person as the directory holds them.
type Profile struct {
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name,omitempty"`
	Roles       []string `json:"roles"`
	YearGroup   string   `json:"year_group,omitempty"`
	Email       string   `json:"email,omitempty"`
	Groups      []string `json:"groups,omitempty"`
	DateOfBirth string   `json:"date_of_birth,omitempty"`
	Disabled    bool     `json:"disabled,omitempty"`
}

// Export is everything held about one person.
type Export struct {
	Site         string       `json:"site"`
	Generated    time.Time    `json:"generated"`
	Request      *RequestInfo `json:"request,omitempty"`
	Person       Profile      `json:"person"`
	Sections     []Section    `json:"sections"`
	Withheld     []Withheld   `json:"withheld,omitempty"`
	ActivityFrom time.Time    `json:"activity_from"`
}

// RequestInfo is the request an export answers: its dates, not who
// logged or released it.
type RequestInfo struct {
	ID         int64     `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	DueAt      time.Time `json:"due_at"`
}

// Withheld says that an item was withheld and under which exemption;
// never what it held.
type Withheld struct {
	Item      string `json:"item"`
	Exemption string `json:"exemption"`
}

// Options tunes a build.
type Options struct {
	Site string
	// By is who builds it: their reading of the activity log is audited.
	By store.Actor
	// ActivityFrom: the activity log is kept from then (its retention).
	ActivityFrom time.Time
	Now          time.Time
}

// Build gathers everything held about username.
func Build(ctx context.Context, src Sources, username string, opt Options) (*Export, error) {
	u, err := src.GetUser(ctx, username)
	if err != nil {
		return nil, fmt.Errorf("subject export: %w", err)
	}
	// Everyone, every school: the anonymiser removes any name it knows.
	users, err := src.ListUsers(ctx, store.AllSites)
	if err != nil {
		return nil, fmt.Errorf("subject export: %w", err)
	}
	an := newAnonymiser(username, users)
	dob, err := src.DateOfBirth(ctx, username)
	if err != nil {
		return nil, fmt.Errorf("subject export: %w", err)
	}
	e := &Export{Site: opt.Site, Generated: opt.Now.UTC(), ActivityFrom: opt.ActivityFrom.UTC(), Person: Profile{
		Username: u.Username, DisplayName: u.DisplayName, Roles: roleNames(u.Roles), YearGroup: u.YearGroup,
		Email: u.Email, Groups: u.Groups, DateOfBirth: dob, Disabled: u.Disabled}}
	for _, b := range []func(context.Context, Sources, *anonymiser, string, Options) (Section, error){
		activitySection, requestsSection, overridesSection, acceptancesSection, concernsSection, incidentsSection, sanctionsSection,
	} {
		sec, err := b(ctx, src, an, username, opt)
		if err != nil {
			return nil, fmt.Errorf("subject export: %w", err)
		}
		e.Sections = append(e.Sections, sec)
	}
	return e, nil
}

func roleNames(rs []identity.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// Keys lists every key the dsl may withhold: each item's, and each
// whole section's name.
func (e *Export) Keys() []string {
	var out []string
	for _, s := range e.Sections {
		if s.Whole {
			out = append(out, s.Name)
			continue
		}
		for _, it := range s.Items {
			out = append(out, it.Key)
		}
	}
	return out
}

// Has reports whether key is one of the export's keys.
func (e *Export) Has(key string) bool {
	for _, k := range e.Keys() {
		if k == key {
			return true
		}
	}
	return false
}

// Without returns the export with the withheld items taken out and
// listed (by key and exemption only).
func (e *Export) Without(ws []store.Withholding) *Export {
	out := *e
	held := map[string]string{}
	for _, w := range ws {
		held[w.Item] = w.Exemption
		out.Withheld = append(out.Withheld, Withheld{Item: w.Item, Exemption: w.Exemption})
	}
	out.Sections = nil
	for _, s := range e.Sections {
		if _, ok := held[s.Name]; ok && s.Whole {
			s.Items = nil
			out.Sections = append(out.Sections, s)
			continue
		}
		var keep []Item
		for _, it := range s.Items {
			if _, ok := held[it.Key]; !ok {
				keep = append(keep, it)
			}
		}
		s.Items = keep
		out.Sections = append(out.Sections, s)
	}
	return &out
}

// Count is the number of items in the export.
func (e *Export) Count() int {
	n := 0
	for _, s := range e.Sections {
		n += len(s.Items)
	}
	return n
}
