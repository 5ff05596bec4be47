package report

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period is what a report covers: from (inclusive) to (exclusive), with
// a name for its heading.
type Period struct {
	Name     string    `json:"name"`
	From, To time.Time `json:"-"`
}

// ErrPeriod: the period asked for is not one.
var ErrPeriod = errors.New("report: bad period")

// The terms, in the site's time zone: autumn 1 Sep–31 Dec, spring
// 1 Jan–31 Mar (the Easter break), summer 1 Apr–31 Aug.
var terms = []struct {
	name        string
	first, next time.Month // next: the month after the term
}{
	{"autumn", time.September, time.January},
	{"spring", time.January, time.April},
	{"summer", time.April, time.September},
}

// Term is a term preset: "autumn-2026", "spring-2027", "summer-2027".
func Term(preset string, loc *time.Location) (Period, error) {
	name, y, ok := strings.Cut(preset, "-")
	year, err := strconv.Atoi(y)
	if !ok || err != nil || year < 2000 || year > 2200 {
		return Period{}, fmt.Errorf("%w: term %q: want autumn-YYYY, spring-YYYY or summer-YYYY", ErrPeriod, preset)
	}
	for _, t := range terms {
		if t.name != name {
			continue
		}
		from := time.Date(year, t.first, 1, 0, 0, 0, 0, loc)
		toYear := year
		if t.next < t.first {
			toYear++
		}
		to := time.Date(toYear, t.next, 1, 0, 0, 0, 0, loc)
		return Period{Name: strings.ToUpper(name[:1]) + name[1:] + " term " + y, From: from, To: to}, nil
	}
	return Period{}, fmt.Errorf("%w: term %q: want autumn, spring or summer and a year", ErrPeriod, preset)
}

// TermOf is the preset of the term that at falls in.
func TermOf(at time.Time) string {
	switch m := at.Month(); {
	case m >= time.September:
		return "autumn-" + strconv.Itoa(at.Year())
	case m >= time.April:
		return "summer-" + strconv.Itoa(at.Year())
	default:
		return "spring-" + strconv.Itoa(at.Year())
	}
}

// Between is the period from from to to, each an RFC 3339 time or a date
// in the site's time zone; a date to includes that whole day.
func Between(from, to string, loc *time.Location) (Period, error) {
	f, _, err := parseWhen("from", from, loc)
	if err != nil {
		return Period{}, err
	}
	t, date, err := parseWhen("to", to, loc)
	if err != nil {
		return Period{}, err
	}
	if date {
		t = t.AddDate(0, 0, 1)
	}
	if !t.After(f) {
		return Period{}, fmt.Errorf("%w: to (%s) must be after from (%s)", ErrPeriod, to, from)
	}
	if t.Sub(f) > 400*24*time.Hour {
		return Period{}, fmt.Errorf("%w: from %s to %s is more than a year and a bit: ask for a term or a school year", ErrPeriod, from, to)
	}
	name := f.In(loc).Format("2 January 2006") + " to " + t.In(loc).Add(-time.Nanosecond).Format("2 January 2006")
	return Period{Name: name, From: f, To: t}, nil
}

func parseWhen(field, s string, loc *time.Location) (time.Time, bool, error) {
	if s == "" {
		return time.Time{}, false, fmt.Errorf("%w: %s is missing: want an RFC 3339 time or a date (2026-09-01)", ErrPeriod, field)
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, false, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, true, nil
	}
	return time.Time{}, false, fmt.Errorf("%w: %s %q: want an RFC 3339 time (2026-09-01T00:00:00Z) or a date (2026-09-01)", ErrPeriod, field, s)
}
