package store

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"context"
)

// Counts is Summarize for the console's dashboards: counts by day, hour,
// category, verdict or point, never by subject, so it names nobody and
// needs no audit record. since and until round down to their hour.
func (s *Store) Counts(ctx context.Context, since, until time.Time, keys []string) ([]SummaryRow, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("store: %w: nothing to count by", ErrInvalid)
	}
	exprs := make([]string, len(keys))
	for i, k := range keys {
		e, ok := summaryExpr[k]
		if !ok || k == "subject" {
			allowed := slices.DeleteFunc(slices.Clone(SummaryKeys), func(k string) bool { return k == "subject" })
			return nil, fmt.Errorf("store: %w: cannot count by %q without names (want %s)", ErrInvalid, k, strings.Join(allowed, ", "))
		}
		exprs[i] = e
	}
	return s.summarize(ctx, micro(since.Truncate(time.Hour)), micro(until.Truncate(time.Hour)), keys, exprs)
}
