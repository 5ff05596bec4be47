package policy

import (
	"fmt"
	"time"

	"schoolgate/internal/config"
)

// Schedule is one of the policy's weekly schedules compiled on its own,
// for code outside the engine that asks "is it within these hours?" (the
// alert rules' hours trigger).
type Schedule struct {
	s   *schedule
	loc *time.Location
}

// CompileSchedule compiles the schedule name of c in the site's time zone.
func CompileSchedule(c *config.Config, name string) (*Schedule, error) {
	windows, ok := c.Schedules[name]
	if !ok {
		return nil, fmt.Errorf("%w: unknown schedule %q", ErrInvalid, name)
	}
	loc, err := time.LoadLocation(c.Site.Timezone)
	if err != nil {
		return nil, fieldErr(c, 0, "site.timezone", err.Error())
	}
	s, err := compileSchedule(c, name, windows)
	if err != nil {
		return nil, err
	}
	return &Schedule{s: s, loc: loc}, nil
}

// In reports whether t falls within the schedule.
func (s *Schedule) In(t time.Time) bool {
	m, _ := minuteOfWeek(t, s.loc)
	return s.s.in(m)
}
