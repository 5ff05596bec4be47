package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SummaryKeys are what a summary can count by.
var SummaryKeys = []string{"day", "hour", "subject", "group", "category", "verdict", "point"}

// SummaryRow is one line of a summary: the values of its keys, in the
// order asked for, and the count.
type SummaryRow struct {
	Values []string
	Count  int64
}

// summaryExpr is each key's expression over activity_hourly.
var summaryExpr = map[string]string{
	"day":      "hour - hour % " + fmt.Sprint(24*hourMicro),
	"hour":     "hour",
	"subject":  "subject",
	"group":    "grp", // activity_group_hourly only
	"category": "category",
	"verdict":  "verdict",
	"point":    "point",
}

// Summarize counts the events from since to until (each rounded down to
// its hour; zero until is now) by keys, from the hourly aggregates, so it
// reaches back the whole activity retention period, long after the raw DNS
// events have gone. Like the aggregates, it counts an event in two
// categories once under each (most events have one or none). The rolled-up
// hours are grouped by the database, so a year of a big school's
// aggregates costs memory for the answer's rows only; the hours not yet
// rolled up are counted from their events. Counting by "subject" names
// users and client addresses; every summary is recorded in the audit trail
// as by's. site is the school counted (AllSites: every school of the
// trust), the actor's scope, never the request's.
func (s *Store) Summarize(ctx context.Context, by Actor, site string, since, until time.Time, keys []string) ([]SummaryRow, error) {
	if site == "" {
		return nil, fmt.Errorf("store: summary: %w", ErrNoSite)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("store: %w: nothing to count by", ErrInvalid)
	}
	exprs := make([]string, len(keys))
	for i, k := range keys {
		e, ok := summaryExpr[k]
		if !ok {
			return nil, fmt.Errorf("store: %w: cannot count by %q (want %s)", ErrInvalid, k, strings.Join(SummaryKeys, ", "))
		}
		exprs[i] = e
	}
	if slices.Contains(keys, "group") && slices.Contains(keys, "subject") {
		return nil, fmt.Errorf("store: %w: cannot count by group and subject together", ErrInvalid)
	}
	if err := s.Audit(ctx, by, "activity.summary", "activity", nil, map[string]any{"since": since, "until": until, "by": keys, "site": site}); err != nil {
		return nil, err
	}
	from, to := micro(since.Truncate(time.Hour)), int64(1)<<62
	if !until.IsZero() {
		to = micro(until.Truncate(time.Hour))
	}
	return s.summarize(ctx, site, from, to, keys, exprs, true)
}

// summarize counts one school's hours (site; AllSites: every school's)
// from from to to (microseconds, exclusive) by keys, whose expressions
// over activity_hourly are exprs: the rolled-up hours from the
// aggregates, the others from their events (the last seconds' too when
// fresh; see liveHours).
func (s *Store) summarize(ctx context.Context, site string, from, to int64, keys, exprs []string, fresh bool) ([]SummaryRow, error) {
	upTo, err := s.rolledUpTo(ctx)
	if err != nil {
		return nil, err
	}
	sum := summary{keys: keys, index: map[string]int{}}

	// Rolled-up hours, grouped by the database. By group: the aggregates
	// by group (an event counts under each of its groups). By subject:
	// activity_hourly. Neither: the aggregates by group's row "*" (every
	// event once, nobody named, a few rows an hour instead of one a
	// subject) from the first hour rolled up with them, activity_hourly
	// before it.
	group := make([]string, len(keys))
	for i := range keys {
		group[i] = fmt.Sprint(i + 1)
	}
	text := make([]string, len(keys))
	query := func(table, where string, from, to int64) error {
		args := []any{from, to}
		if site != AllSites {
			where += " AND site = $3"
			args = append(args, site)
		}
		rows, err := s.r.QueryContext(ctx, `SELECT `+strings.Join(exprs, ", ")+`, CAST(SUM(count) AS BIGINT) FROM `+table+`
			WHERE hour >= $1 AND hour < $2 `+where+` GROUP BY `+strings.Join(group, ", "), args...)
		if err != nil {
			return fmt.Errorf("store: summary: %w", err)
		}
		defer rows.Close()
		dest := make([]any, len(keys)+1)
		vals := make([]any, len(keys))
		for i := range vals {
			dest[i] = &vals[i]
		}
		var n int64
		dest[len(keys)] = &n
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return fmt.Errorf("store: summary: %w", err)
			}
			for i, k := range keys {
				text[i] = summaryValue(k, vals[i])
			}
			sum.add(text, n)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: summary: %w", err)
		}
		return nil
	}
	byGroup := slices.Contains(keys, "group")
	rolledTo := min(to, upTo)
	switch {
	case byGroup:
		err = query("activity_group_hourly", "AND grp <> '"+allGroups+"'", from, rolledTo)
	case slices.Contains(keys, "subject"):
		err = query("activity_hourly", "", from, rolledTo)
	default:
		var first sql.NullInt64
		if err = s.r.QueryRowContext(ctx, `SELECT MIN(hour) FROM activity_rollups WHERE grouped = 1`).Scan(&first); err != nil {
			return nil, fmt.Errorf("store: summary: %w", err)
		}
		split := rolledTo
		if first.Valid {
			split = max(from, min(first.Int64, rolledTo))
		}
		if err = query("activity_hourly", "", from, split); err == nil {
			err = query("activity_group_hourly", "AND grp = '"+allGroups+"'", split, rolledTo)
		}
	}
	if err != nil {
		return nil, err
	}

	// The hours not rolled up yet (the last hour or so), from the events.
	live, err := s.liveHours(ctx, site, upTo, max(from, upTo), to, fresh)
	if err != nil {
		return nil, err
	}
	if byGroup {
		gkeys, gcounts := live.byGroup(false)
		for j, k := range gkeys {
			for i, key := range keys {
				switch key {
				case "day", "hour":
					text[i] = summaryValue(key, k.hour)
				case "group":
					text[i] = k.group
				case "category":
					text[i] = k.category
				case "verdict":
					text[i] = k.verdict
				case "point":
					text[i] = k.point
				}
			}
			sum.add(text, gcounts[j])
		}
		live = nil
	}
	for k, c := range live {
		for i, key := range keys {
			switch key {
			case "day", "hour":
				text[i] = summaryValue(key, k.hour)
			case "subject":
				text[i] = k.subject
			case "category":
				text[i] = k.category
			case "verdict":
				text[i] = k.verdict
			case "point":
				text[i] = k.point
			}
		}
		sum.add(text, c)
	}
	slices.SortFunc(sum.rows, func(a, b SummaryRow) int { return slices.Compare(a.Values, b.Values) })
	return sum.rows, nil
}

// summaryValue prints a key's value: days and hours (stored as
// microseconds) as UTC dates and times, the rest as text.
func summaryValue(key string, v any) string {
	var t int64
	switch x := v.(type) {
	case int64:
		t = x
	case []byte:
		return string(x)
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
	switch key {
	case "day":
		return fromMicro(t - t%(24*hourMicro)).Format(time.DateOnly)
	case "hour":
		return fromMicro(t).Format("2006-01-02T15:04Z")
	}
	return fmt.Sprint(t)
}

// summary adds up rows by their values.
type summary struct {
	keys  []string
	index map[string]int
	rows  []SummaryRow
}

func (s *summary) add(values []string, n int64) {
	k := strings.Join(values, "\x00")
	if i, ok := s.index[k]; ok {
		s.rows[i].Count += n
		return
	}
	s.index[k] = len(s.rows)
	s.rows = append(s.rows, SummaryRow{Values: slices.Clone(values), Count: n})
}
