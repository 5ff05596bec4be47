package report

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
)

// The incidents and sanctions sections.

func (r *Reporter) incidents(ctx context.Context, rep *Report, site string, p Period, people []identity.User, cats []safeguarding.IncidentCategory) error {
	list, err := r.src.Incidents(ctx, site, p.From, p.To)
	if err != nil {
		return fmt.Errorf("report: incidents: %w", err)
	}
	years := make(map[string]string, len(people))
	for _, u := range people {
		years[u.Username] = u.YearGroup
	}
	byCat := map[string]int64{}
	stages := make([]int64, len(stageLabels))
	actions := map[string]int64{}
	for _, in := range list {
		// Only a category of the policy or the built-in list is named:
		// anything else is counted without its name.
		title := otherCategory
		if c, ok := safeguarding.IncidentCategoryNamed(cats, in.Category); ok {
			title = c.Title
		}
		byCat[title]++
		seen := map[int]bool{}
		for _, who := range in.People {
			st := stageUnknown
			if who.Username != "" {
				st = keyStage(who.Roles, years[who.Username])
			}
			if !seen[st] {
				seen[st] = true
				stages[st]++
			}
		}
		if len(in.People) == 0 {
			stages[stageUnknown]++
		}
		if len(in.Actions) == 0 {
			actions[actionNone]++
		}
		for _, k := range in.Actions {
			actions[actionLabel(k)]++
		}
	}
	total := int64(len(list))
	keys := sorted(byCat)
	rep.Incidents.ByCategory = table("Incidents by category", keys, values(byCat, keys), total, false)
	rep.Incidents.ByStage = table("Incidents by key stage", stageLabels, stages, total, true)
	rep.Incidents.ByStage.Note = "An incident involving people from more than one group is counted once in each."
	keys = sorted(actions)
	rep.Incidents.ByAction = table("Incidents by action taken", keys, values(actions, keys), total, false)
	rep.Incidents.ByAction.Note = "An incident with more than one kind of action is counted once under each."
	return nil
}

const (
	actionNone    = "No action recorded yet"
	otherCategory = "Other (a category no longer in the policy)"
)

// actionLabel is an action kind in words; a sanction's kind (from the
// sanctions table) reads as it is, with its hyphens and underscores as
// spaces.
func actionLabel(kind string) string {
	switch kind {
	case ActionReferral:
		return "Referred (police, CEOP, designated officer or others)"
	case ActionRecorded:
		return "Action recorded by staff"
	}
	return kindWords(kind)
}

func kindWords(kind string) string {
	s := strings.NewReplacer("_", " ", "-", " ").Replace(kind)
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (r *Reporter) sanctions(ctx context.Context, rep *Report, site string, p Period) error {
	counts, err := r.src.Sanctions(ctx, site, p.From, p.To)
	if errors.Is(err, ErrNotRecorded) {
		rep.Sanctions = Table{Title: "Sanctions by kind", NotRecorded: "Sanctions are not recorded in Schoolgate yet: this section has no figures, not zero."}
		return nil
	}
	if err != nil {
		return fmt.Errorf("report: sanctions: %w", err)
	}
	var total int64
	labelled := map[string]int64{}
	for k, n := range counts {
		labelled[kindWords(k)] += n
		total += n
	}
	keys := sorted(labelled)
	rep.Sanctions = table("Sanctions by kind", keys, values(labelled, keys), total, false)
	return nil
}
