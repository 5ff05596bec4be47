package console

import (
	"context"
	"fmt"
	"time"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// chronologyIncidentsMax caps the incidents one chronology reads.
const chronologyIncidentsMax = 200

// incidentItems are the person's incidents that happened in the period
// and the referrals made in it, as far as the visitor may read them
// (the domain layer's rule, which audits each view); an incident the
// visitor only reported about staff is left out.
func (c *Console) incidentItems(ctx context.Context, v *visit, person string, since, until time.Time) ([]chronologyItem, error) {
	if !safeguarding.Can(v.user.Roles, safeguarding.RecordIncident) {
		return nil, nil
	}
	list, err := c.inc.List(ctx, v.actor, store.IncidentFilter{Person: person, To: until, Limit: chronologyIncidentsMax})
	if err != nil {
		return nil, err
	}
	cats := c.inc.Categories()
	var out []chronologyItem
	for _, in := range list {
		if in.Restricted {
			continue
		}
		link := fmt.Sprintf("/incidents/%d", in.ID)
		f := c.fields(in.Current, cats)
		if !in.Current.OccurredAt.Before(since) {
			out = append(out, chronologyItem{When: in.Current.OccurredAt, Kind: "incident", Link: link,
				Detail: fmt.Sprintf("incident %d: %s · %s · “%s”", in.ID, f.CategoryTitle, in.Status, f.Summary)})
		}
		full, err := c.inc.Get(ctx, v.actor, in.ID)
		if err != nil {
			return nil, err
		}
		for _, e := range full.Entries {
			r, ok := safeguarding.ReferralOf(e)
			if !ok || r.At.Before(since) || !r.At.Before(until) {
				continue
			}
			detail := fmt.Sprintf("incident %d referred to %s by %s", in.ID, r.To, e.By)
			if r.Reference != "" {
				detail += ", reference " + r.Reference
			}
			out = append(out, chronologyItem{When: r.At, Kind: "referral", Link: link, Detail: detail})
		}
	}
	return out, nil
}
