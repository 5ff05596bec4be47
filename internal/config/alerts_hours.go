package config

import (
	"fmt"
	"strings"
	"time"
)

// HoursWindow is one weekly window of a contact's hours: the days it
// starts on (Sunday first) and its minutes of the day; To < From runs
// past midnight into the next day.
type HoursWindow struct {
	Days     [7]bool
	From, To int
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// ContactHours reads alerts.contacts[].hours: the name of a schedule, or
// windows such as "Mon-Fri 08:00-18:00" (several joined by ";"), in site
// time.
func (c *Config) ContactHours(s string) ([]HoursWindow, error) {
	s = strings.TrimSpace(s)
	if ws, ok := c.Schedules[s]; ok {
		out := make([]HoursWindow, 0, len(ws))
		for i, w := range ws {
			hw, err := hoursWindow(strings.Join(w.Days, ","), w.From, w.To)
			if err != nil {
				return nil, fmt.Errorf("schedule %s[%d]: %w", s, i, err)
			}
			out = append(out, hw)
		}
		return out, nil
	}
	var out []HoursWindow
	for part := range strings.SplitSeq(s, ";") {
		f := strings.Fields(part)
		if len(f) != 2 {
			return nil, fmt.Errorf("%q: want a schedule's name or days and times, e.g. \"Mon-Fri 08:00-18:00\"", s)
		}
		from, to, ok := strings.Cut(f[1], "-")
		if !ok {
			return nil, fmt.Errorf("%q: want times as HH:MM-HH:MM, e.g. 08:00-18:00", f[1])
		}
		hw, err := hoursWindow(f[0], from, to)
		if err != nil {
			return nil, err
		}
		out = append(out, hw)
	}
	return out, nil
}

// hoursWindow reads days ("Mon-Fri", "Sat,Sun", "mon") and two clock times.
func hoursWindow(days, from, to string) (HoursWindow, error) {
	var w HoursWindow
	var err error
	if w.From, err = clockMinutes(from); err != nil {
		return w, err
	}
	if w.To, err = clockMinutes(to); err != nil {
		return w, err
	}
	if w.From == w.To {
		return w, fmt.Errorf("%s-%s: from and to are the same minute", from, to)
	}
	for d := range strings.SplitSeq(days, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		first, last, isRange := strings.Cut(d, "-")
		a, ok := weekdays[first]
		if !ok {
			return w, fmt.Errorf("unknown day %q (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)", first)
		}
		b := a
		if isRange {
			if b, ok = weekdays[last]; !ok {
				return w, fmt.Errorf("unknown day %q (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)", last)
			}
		}
		for i := a; ; i = (i + 1) % 7 {
			w.Days[i] = true
			if i == b {
				break
			}
		}
	}
	return w, nil
}

func clockMinutes(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		if strings.TrimSpace(s) == "24:00" {
			return 24 * 60, nil
		}
		return 0, fmt.Errorf("bad time of day %q (want HH:MM)", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// InHours says whether t (already in site time) falls in one of ws.
func InHours(ws []HoursWindow, t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	today, yesterday := t.Weekday(), (t.Weekday()+6)%7
	for _, w := range ws {
		if w.From < w.To {
			if w.Days[today] && m >= w.From && m < w.To {
				return true
			}
			continue
		}
		// Past midnight: the evening of a listed day or the morning after.
		if (w.Days[today] && m >= w.From) || (w.Days[yesterday] && m < w.To) {
			return true
		}
	}
	return false
}
