package console

import (
	"context"
	"errors"
	"strconv"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// alertEvidence copies an alert the reader may see, with its triggering
// events, into an incident.
func alertEvidence(alerts *safeguarding.Alerts) AlertEvidence {
	return func(ctx context.Context, a safeguarding.Actor, ref string) (any, error) {
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil {
			return nil, errNoEvidence
		}
		r, err := alerts.Get(ctx, a, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errNoEvidence
		}
		if err != nil {
			return nil, err
		}
		return map[string]any{"alert": r.Alert, "events": r.Events}, nil
	}
}
