package subject

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/store"
)

func activitySection(ctx context.Context, src Sources, _ *anonymiser, username string, opt Options) (Section, error) {
	sec := Section{Name: "activity", Title: "Web activity (as long as the activity log keeps it)", Whole: true}
	type event struct {
		At         time.Time `json:"at"`
		Host       string    `json:"host"`
		URL        string    `json:"url,omitempty"`
		Categories []string  `json:"categories,omitempty"`
		Verdict    string    `json:"verdict"`
		Search     string    `json:"search,omitempty"`
		Action     string    `json:"action,omitempty"`
		Point      string    `json:"via"`
	}
	err := src.SearchActivity(ctx, opt.By, store.ActivityFilter{User: username, Since: opt.ActivityFrom, Limit: -1}, func(e activity.Event) error {
		sec.Items = append(sec.Items, Item{Key: "activity", At: e.Time.UTC(), Title: e.Verdict + " " + e.Host,
			Data: event{e.Time.UTC(), e.Host, e.URL, e.Categories, e.Verdict, e.Search, e.Action, string(e.Point)}})
		return nil
	})
	return sec, err
}

func requestsSection(ctx context.Context, src Sources, an *anonymiser, username string, _ Options) (Section, error) {
	sec := Section{Name: "requests", Title: "Requests to unblock a site"}
	rs, err := src.SubjectRequests(ctx, username)
	if err != nil {
		return sec, err
	}
	for _, r := range rs {
		sec.Items = append(sec.Items, Item{Key: "request:" + strconv.FormatInt(r.ID, 10), At: r.Created.UTC(),
			Title: fmt.Sprintf("Request for %s (%s)", r.Host, r.Status),
			Data: map[string]any{"host": r.Host, "url": r.URL, "categories": r.Categories, "reason": an.clean(r.Reason),
				"status": r.Status, "decided_by": an.name(r.DecidedBy), "decided_at": r.DecidedAt, "decision_reason": an.clean(r.DecisionReason)}})
	}
	return sec, nil
}

func overridesSection(ctx context.Context, src Sources, an *anonymiser, username string, _ Options) (Section, error) {
	sec := Section{Name: "grants", Title: "Grants, unblocks and suspensions of access"}
	os, err := src.SubjectOverrides(ctx, username)
	if err != nil {
		return sec, err
	}
	for _, o := range os {
		scope := "every site"
		switch {
		case o.Category != "":
			scope = "category " + o.Category
		case o.Target != "":
			scope = o.Target
		}
		sec.Items = append(sec.Items, Item{Key: "grant:" + strconv.FormatInt(o.ID, 10), At: o.Created.UTC(),
			Title: fmt.Sprintf("%s: %s, until %s", o.Kind, scope, o.Until.UTC().Format(time.RFC3339)),
			Data: map[string]any{"kind": o.Kind, "scope": scope, "verdict": o.Verdict.String(), "from": o.Created.UTC(), "until": o.Until.UTC(),
				"by": an.name(o.By), "reason": an.clean(o.Reason)}})
	}
	return sec, nil
}

func acceptancesSection(ctx context.Context, src Sources, _ *anonymiser, username string, _ Options) (Section, error) {
	sec := Section{Name: "acceptable-use", Title: "Acceptable-use agreements accepted"}
	as, err := src.SubjectAcceptances(ctx, username)
	if err != nil {
		return sec, err
	}
	for _, a := range as {
		sec.Items = append(sec.Items, Item{Key: "aua:" + a.Version, At: a.AcceptedAt.UTC(), Title: "Accepted version " + a.Version,
			Data: map[string]any{"version": a.Version, "group": a.Group, "accepted_at": a.AcceptedAt.UTC(), "device": a.Client}})
	}
	return sec, nil
}

func concernsSection(ctx context.Context, src Sources, an *anonymiser, username string, _ Options) (Section, error) {
	sec := Section{Name: "concerns", Title: "Concerns you reported from the block page"}
	cs, err := src.SubjectConcerns(ctx, username)
	if err != nil {
		return sec, err
	}
	for _, c := range cs {
		notes, err := src.ConcernNotes(ctx, c.ID)
		if err != nil {
			return sec, err
		}
		var ns []map[string]any
		for _, n := range notes {
			ns = append(ns, map[string]any{"at": n.At.UTC(), "by": an.name(n.By), "text": an.clean(n.Text)})
		}
		sec.Items = append(sec.Items, Item{Key: "concern:" + strconv.FormatInt(c.ID, 10), At: c.Created.UTC(),
			Title: fmt.Sprintf("Concern about %s (%s)", c.Host, c.Status),
			Data:  map[string]any{"host": c.Host, "url": c.URL, "text": an.clean(c.Text), "status": c.Status, "notes": ns}})
	}
	return sec, nil
}

func incidentsSection(ctx context.Context, src Sources, an *anonymiser, username string, opt Options) (Section, error) {
	sec := Section{Name: "incidents", Title: "Incidents you were involved in, and what was done"}
	list, err := src.ListIncidents(ctx, store.IncidentFilter{Site: opt.Site, Scope: store.ScopeAll, Person: username})
	if err != nil {
		return sec, err
	}
	slices.Reverse(list) // oldest first, like the other sections
	for _, in := range list {
		entries, err := src.IncidentEntries(ctx, opt.Site, in.ID)
		if err != nil {
			return sec, err
		}
		var people []string
		for _, p := range in.People {
			switch {
			case p.Username != "":
				people = append(people, an.name(p.Username))
			default:
				people = append(people, "someone from outside school")
			}
		}
		var es []map[string]any
		for _, e := range entries {
			es = append(es, map[string]any{"at": e.At.UTC(), "by": an.name(e.By), "kind": e.Kind, "text": an.clean(e.Text), "reason": an.clean(e.Reason)})
		}
		sec.Items = append(sec.Items, Item{Key: "incident:" + strconv.FormatInt(in.ID, 10), At: in.OccurredAt.UTC(),
			Title: fmt.Sprintf("Incident (%s), %s", strings.ReplaceAll(in.Category, "-", " "), in.Status),
			Data: map[string]any{"occurred_at": in.OccurredAt.UTC(), "category": in.Category, "summary": an.clean(in.Summary),
				"people": people, "reported_by": an.name(in.ReportedBy), "reported_at": in.ReportedAt.UTC(),
				"status": in.Status, "outcome": an.clean(in.Outcome), "history": es}})
	}
	return sec, nil
}

func sanctionsSection(ctx context.Context, src Sources, an *anonymiser, username string, opt Options) (Section, error) {
	sec := Section{Name: "sanctions", Title: "Sanctions and actions recorded about you"}
	list, err := src.SanctionsOf(ctx, opt.Site, username)
	if err != nil {
		return sec, err
	}
	for _, s := range list {
		// Details name other people (a parent informed, a colleague):
		// only a suspension's scope and end are the subject's own.
		details := ""
		if s.Action == "removal_of_access" {
			details = s.Details
		}
		state := "in force or done"
		if s.Revoked() {
			state = "revoked " + s.RevokedAt.UTC().Format(time.DateOnly)
		}
		sec.Items = append(sec.Items, Item{Key: "sanction:" + strconv.FormatInt(s.ID, 10), At: s.At.UTC(),
			Title: fmt.Sprintf("%s (incident %d), %s", strings.ReplaceAll(s.Action, "_", " "), s.IncidentID, state),
			Data: map[string]any{"action": s.Action, "incident": s.IncidentID, "at": s.At.UTC(), "by": an.name(s.By),
				"details": an.clean(details), "revoked_at": s.RevokedAt, "revoke_reason": an.clean(s.RevokeReason)}})
	}
	return sec, nil
}
