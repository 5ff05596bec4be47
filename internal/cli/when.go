package cli

import (
	"fmt"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/sitetime"
)

// whenHelp is what parseWhen accepts, for usage lines and errors.
const whenHelp = "an RFC 3339 time (2026-12-02T10:00:00Z), a site-local time (2026-12-02T10:00, 2026-12-02 10:00) or date (2026-12-02) in site.timezone"

// parseWhen reads a time given on the command line (--at, --since,
// --until): RFC 3339 with its offset, or a site-local time or date read in
// loc. With back, a duration (24h, 7d) means that long before now. An
// empty s is the zero time.
func parseWhen(field, s string, loc *time.Location, now time.Time, back bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, ok := sitetime.Parse(s, loc); ok {
		return t, nil
	}
	if back {
		if d, err := config.ParseDuration(s); err == nil {
			return now.Add(-d), nil
		}
		return time.Time{}, fmt.Errorf("%w: %s %q: want %s, or a duration back from now (24h, 7d)", ErrUsage, field, s, whenHelp)
	}
	return time.Time{}, fmt.Errorf("%w: %s %q: want %s", ErrUsage, field, s, whenHelp)
}

// siteLocation is the policy's site.timezone.
func siteLocation(cfg *config.Config) (*time.Location, error) {
	loc, err := time.LoadLocation(cfg.Site.Timezone)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: site.timezone %q: %v", cfg.File, config.ErrInvalid, cfg.Site.Timezone, err)
	}
	return loc, nil
}

// siteTime shows t in the site's zone with its offset, to the minute, for
// tables: 2026-12-02 10:00 +00:00.
func siteTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format("2006-01-02 15:04 -07:00")
}
