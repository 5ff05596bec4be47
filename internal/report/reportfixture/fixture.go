// Package reportfixture seeds a store with a term of named records (pupils
// and staff, incidents with summaries, blocked visits to named hosts,
// requests with reasons) for the governors' report's tests: the report
// must show their counts and none of their names.
package reportfixture

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// Site is the fixture's site id.
const Site = "school"

// Policy is a policy whose categories, groups and agreement the fixture's
// records use; Lists are its list files.
const Policy = `site: {name: Fixture Primary and Secondary, timezone: Europe/London}
categories:
  social-media: {title: Social media, sources: [{path: social.txt, format: domains}]}
  games: {title: Games, sources: [{path: games.txt, format: domains}]}
  adult: {title: Adult content, locked: true, sources: [{path: adult.txt, format: domains}]}
groups:
  staff: {networks: [10.10.0.0/16]}
  pupils: {networks: [10.20.0.0/16]}
default_group: pupils
rules:
  social-media: {staff: allow, others: block}
  games: {others: block}
  adult: {others: block}
default: {others: allow}
exceptions:
  - {hosts: [classroom-tool.example], verdict: allow, groups: [pupils], reason: Used in computing lessons}
identity:
  year_groups: {"2": pupils, "5": pupils, "8": pupils, "10": pupils, "12": pupils}
  roles: {teacher: staff, dsl: staff, governor: staff}
aua:
  pupils: {version: "2026-09", file: aua-pupils.txt}
`

// Lists are the policy's files.
var Lists = map[string]string{
	"social.txt":     "chatterbox-social.example\n",
	"games.txt":      "quokka-games.example\n",
	"adult.txt":      "adult-fixture.example\n",
	"aua-pupils.txt": "I will use the internet safely.\n",
}

// pupil is a fixture pupil.
type pupil struct{ user, name, year string }

var pupils = []pupil{
	{"zquarrington", "Zebedee Quarrington", "2"},
	{"pfenwhistle", "Persephone Fenwhistle", "5"},
	{"obrackenbury", "Ottoline Brackenbury", "8"},
	{"hvandersloot", "Horatio Vandersloot", "8"},
	{"imcgillicuddy", "Isadora McGillicuddy", "8"},
	{"bthistlewood", "Barnaby Thistlewood", "10"},
	{"cwolstenholme", "Clementine Wolstenholme", "10"},
	{"eathelstan", "Eustace Athelstan", "12"},
}

var staff = []pupil{
	{"mr.pennyfeather", "Mortimer Pennyfeather", "teacher"},
	{"ms.grimsditch", "Winifred Grimsditch", "teacher,dsl"},
	{"gov.ravensworth", "Aldous Ravensworth", "governor"},
}

// Seeded is what Seed wrote: every name, username, host and free text,
// for a test to look for (and find none) in the report.
type Seeded struct {
	Names []string
	// Expected counts the report must show (or suppress).
	Incidents        int // in the period
	BullyingMessages int // category "bullying-messages": shown
	KS3              int // incidents involving key stage 3: shown
	BlockedGames     int64
}

// Seed writes the fixture's people, incidents, activity, requests and
// acceptances, all between from and from+60 days (the store's clock
// decides the requests' times: keep it inside the period too).
func Seed(ctx context.Context, st *store.Store, from time.Time) (Seeded, error) {
	var s Seeded
	admin := store.Actor{Name: "office"}
	for _, p := range pupils {
		u := identity.User{Username: p.user, DisplayName: p.name, Roles: []identity.Role{identity.RolePupil}, YearGroup: p.year}
		if err := st.CreateUser(ctx, admin, u, ""); err != nil {
			return s, err
		}
		s.Names = append(s.Names, p.user, p.name)
	}
	for _, p := range staff {
		roles, err := identity.ParseRoles(p.year)
		if err != nil {
			return s, err
		}
		if err := st.CreateUser(ctx, admin, identity.User{Username: p.user, DisplayName: p.name, Roles: roles}, ""); err != nil {
			return s, err
		}
		s.Names = append(s.Names, p.user, p.name)
	}
	by := store.Actor{Name: "ms.grimsditch", Roles: "teacher,dsl"}
	day := func(n int) time.Time { return from.Add(time.Duration(n)*24*time.Hour + 10*time.Hour) }
	incident := func(at time.Time, category, summary string, staffInc bool, who ...string) (store.Incident, error) {
		in := store.Incident{Site: Site, OccurredAt: at, Category: category, Summary: summary, AboutStaff: staffInc}
		for _, u := range who {
			roles := "pupil"
			if staffInc {
				roles = "teacher"
			}
			in.People = append(in.People, store.IncidentPerson{Username: u, Roles: roles})
		}
		s.Names = append(s.Names, summary)
		s.Incidents++
		return st.CreateIncident(ctx, by, in)
	}
	// Seven bullying messages among year 8 (key stage 3): shown.
	ks3 := []string{"obrackenbury", "hvandersloot", "imcgillicuddy"}
	for i := range 7 {
		in, err := incident(day(3+i*5), "bullying-messages", fmt.Sprintf("Unkind messages about Ottoline Brackenbury in the Wibblesworth group chat, number %d", i+1), false, ks3[i%3], ks3[(i+1)%3])
		if err != nil {
			return s, err
		}
		s.BullyingMessages++
		s.KS3++
		what := "Spoke to Horatio Vandersloot and his parents at Pemberton Lodge"
		if _, err := st.AppendIncidentEntry(ctx, by, Site, in.ID, store.IncidentEntry{Kind: "action", Text: what}); err != nil {
			return s, err
		}
		s.Names = append(s.Names, what, "Pemberton Lodge")
	}
	// Six social-media incidents in year 10 (key stage 4).
	for i := range 6 {
		if _, err := incident(day(4+i*6), "social-media-messaging", "Clementine Wolstenholme used Snapgram in the Quillfeather library", false, "bthistlewood", "cwolstenholme"); err != nil {
			return s, err
		}
	}
	// Two pornography incidents in year 5: fewer than 5.
	for i := range 2 {
		in, err := incident(day(10+i*20), "pornography", "Persephone Fenwhistle searched for it on chatterbox-social.example", false, "pfenwhistle")
		if err != nil {
			return s, err
		}
		ref := `{"to":"police","reference":"Constable Higginbottom CRN-88231"}`
		if _, err := st.AppendIncidentEntry(ctx, by, Site, in.ID, store.IncidentEntry{Kind: "referral", Text: "Referred to Constable Higginbottom", Data: ref}); err != nil {
			return s, err
		}
		s.Names = append(s.Names, "Constable Higginbottom", "CRN-88231")
	}
	// One incident about a member of staff, with an outsider.
	in := store.Incident{Site: Site, OccurredAt: day(20), Category: "private-communication-with-pupils", AboutStaff: true,
		Summary: "Mortimer Pennyfeather messaged Eustace Athelstan from a personal account",
		People:  []store.IncidentPerson{{Username: "mr.pennyfeather", Roles: "teacher"}, {Description: "Gwendolyn Oddfellow, a parent volunteer"}}}
	if _, err := st.CreateIncident(ctx, by, in); err != nil {
		return s, err
	}
	s.Incidents++
	s.Names = append(s.Names, in.Summary, "Gwendolyn Oddfellow")
	// One incident of another site: never counted.
	if _, err := st.CreateIncident(ctx, by, store.Incident{Site: "other-school", OccurredAt: day(5), Category: "bullying-messages", Summary: "Another school's record about Lysander Crumpet"}); err != nil {
		return s, err
	}
	s.Names = append(s.Names, "Lysander Crumpet")

	// Blocked visits over several weeks, to named hosts by named pupils.
	var events []activity.Event
	hosts := map[string]string{"games": "quokka-games.example", "social-media": "chatterbox-social.example", "adult": "adult-fixture.example"}
	for w := range 8 {
		for i, p := range pupils {
			cat := []string{"games", "social-media", "games"}[i%3]
			n := 2 + (w+i)%4
			if w == 5 && i == 0 {
				n, cat = 1, "adult" // one attempt on adult content in the whole term: fewer than 5
			}
			for k := range n {
				events = append(events, activity.Event{Time: day(w*7 + k%5).Add(time.Duration(i) * time.Minute), Client: netip.MustParseAddr(fmt.Sprintf("10.20.1.%d", 10+i)),
					User: p.user, Groups: []string{"pupils"}, Host: hosts[cat], URL: "https://" + hosts[cat] + "/u/" + p.user, Categories: []string{cat},
					Verdict: "block", Rule: "rules." + cat + ".others", Point: activity.PointDNS})
				if cat == "games" {
					s.BlockedGames++
				}
			}
		}
	}
	if err := st.InsertEvents(ctx, events); err != nil {
		return s, err
	}
	for _, h := range hosts {
		s.Names = append(s.Names, h)
	}

	// Requests: two declined (fewer than 5), reasons with names.
	for i, p := range pupils[:2] {
		reason := "Please, Mr Pennyfeather, Zebedee needs it for homework at 14 Laburnum Crescent"
		r, err := st.CreateRequest(ctx, store.Request{User: p.user, Client: fmt.Sprintf("10.20.1.%d", 10+i), Host: "quokka-games.example", Categories: []string{"games"}, Reason: reason})
		if err != nil {
			return s, err
		}
		if _, err := st.DenyRequest(ctx, by, r.ID, "Not for Zebedee Quarrington"); err != nil {
			return s, err
		}
		s.Names = append(s.Names, "Laburnum Crescent")
	}
	// One approved (an unblock for a while): fewer than 5 each.
	r, err := st.CreateRequest(ctx, store.Request{User: "eathelstan", Client: "10.20.1.17", Host: "chatterbox-social.example", Categories: []string{"social-media"}, Reason: "For the Fortescue-Smythe project"})
	if err != nil {
		return s, err
	}
	if _, _, err := st.ApproveRequest(ctx, by, r.ID, store.Approval{For: time.Hour, Reason: "Eustace's sixth-form project"}); err != nil {
		return s, err
	}
	s.Names = append(s.Names, "Fortescue-Smythe", "Eustace")
	// Acceptances: six of the eight pupils accepted the current version.
	for _, p := range pupils[:6] {
		if _, err := st.AcceptAUA(ctx, store.Acceptance{User: p.user, Group: "pupils", Version: "2026-09", AcceptedAt: day(1), Client: "10.20.1.99"}); err != nil {
			return s, err
		}
	}
	return s, nil
}
