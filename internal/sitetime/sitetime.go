// Package sitetime reads a time as people give it, on the command line
// and in the console's forms: RFC 3339 with its offset, or a site-local
// time or date read in the school's time zone (site.timezone).
package sitetime

import "time"

// localLayouts are the site-local forms: a date and a time of day (with T
// or a space, with or without seconds), or a date alone (midnight).
var localLayouts = []string{
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

// Parse reads s as RFC 3339, or as a site-local time or date in loc; ok
// is false when s is neither. Callers say what they accept in their own
// words.
func Parse(s string, loc *time.Location) (t time.Time, ok bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
