package console

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"schoolgate/internal/safeguarding"
)

// sanctionItems are a person's sanctions recorded in [since, until), as
// chronology lines: only for those who may sanction (the others' see
// none; the chronology's own audit names the person).
func (c *Console) sanctionItems(ctx context.Context, v *visit, person string, since, until time.Time) ([]chronologyItem, error) {
	if !safeguarding.Can(v.user.Roles, safeguarding.Sanction) {
		return nil, nil
	}
	list, err := c.sanc.Of(ctx, v.actor, person)
	if errors.Is(err, safeguarding.ErrForbidden) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	loc := c.location()
	var out []chronologyItem
	for _, s := range list {
		if s.At.Before(since) || !s.At.Before(until) {
			continue
		}
		parts := []string{s.Title, "by " + s.By, fmt.Sprintf("incident %d", s.IncidentID)}
		if !s.Until.IsZero() {
			parts = append(parts, s.Scope+" until "+s.Until.In(loc).Format("2006-01-02 15:04"))
		}
		if s.Revoked() {
			parts = append(parts, "revoked by "+s.RevokedBy+" on "+s.RevokedAt.In(loc).Format("2006-01-02 15:04"))
		}
		out = append(out, chronologyItem{When: s.At, Kind: "sanction", Detail: strings.Join(parts, " · "), Link: fmt.Sprintf("/incidents/%d/sanctions", s.IncidentID)})
	}
	return out, nil
}
