package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SummaryKeys are what a summary can count by.
var SummaryKeys = []string{"day", "hour", "subject", "category", "verdict", "point"}

// SummaryRow is one line of a summary: the values of its keys, in the
// order asked for, and the count.
type SummaryRow struct {
	Values []string
	Count  int64
}

// Summarize counts the events from since to until (each rounded down to
// its hour) by keys, from the hourly aggregates, so it reaches back the
// whole activity retention period, long after the raw DNS events have
// gone. Like the aggregates, it counts an event in two categories once
// under each (most events have one or none). Counting by "subject" names
// users and client addresses; every summary is recorded in the audit
// trail as by's.
func (s *Store) Summarize(ctx context.Context, by Actor, since, until time.Time, keys []string) ([]SummaryRow, error) {
	for _, k := range keys {
		if !slices.Contains(SummaryKeys, k) {
			return nil, fmt.Errorf("store: %w: cannot count by %q (want %s)", ErrInvalid, k, strings.Join(SummaryKeys, ", "))
		}
	}
	if err := s.Audit(ctx, by, "activity.summary", "activity", nil, map[string]any{"since": since, "until": until, "by": keys}); err != nil {
		return nil, err
	}
	hourly, err := s.HourlyCounts(ctx, since)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	var rows []SummaryRow
	vals := make([]string, len(keys))
	for _, h := range hourly {
		if !until.IsZero() && !h.Hour.Before(until.Truncate(time.Hour)) {
			continue
		}
		for i, k := range keys {
			switch k {
			case "day":
				vals[i] = h.Hour.Format(time.DateOnly)
			case "hour":
				vals[i] = h.Hour.Format("2006-01-02T15:04Z")
			case "subject":
				vals[i] = h.Subject
			case "category":
				vals[i] = h.Category
			case "verdict":
				vals[i] = h.Verdict
			case "point":
				vals[i] = h.Point
			}
		}
		key := strings.Join(vals, "\x00")
		if i, ok := index[key]; ok {
			rows[i].Count += h.Count
			continue
		}
		index[key] = len(rows)
		rows = append(rows, SummaryRow{Values: slices.Clone(vals), Count: h.Count})
	}
	slices.SortFunc(rows, func(a, b SummaryRow) int {
		return cmp.Compare(strings.Join(a.Values, "\x00"), strings.Join(b.Values, "\x00"))
	})
	return rows, nil
}
