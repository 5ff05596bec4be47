package config

import (
	"fmt"
	"strings"
)

const minutesPerWeek = 7 * 24 * 60

// weekLevels is a cell's answer at every minute of the week (Sunday 00:00
// first), as a strictness: allow 0, warn 1, permission 2, block 3 (the
// engine's verdict order). Comparing two cells minute by minute is exact
// for schedules, whatever their windows.
type weekLevels [minutesPerWeek]uint8

var cellLevels = map[string]uint8{"allow": 0, "warn": 1, "permission": 2, "block": 3}

// cellWeek reads a rules cell: a verdict, "allow during S[, T]" (allowed
// within the schedules, blocked outside) or "block during S[, T]".
func cellWeek(cell string, schedules map[string][]Window) (*weekLevels, error) {
	w := new(weekLevels)
	t := strings.TrimSpace(cell)
	if v, ok := cellLevels[t]; ok {
		for i := range w {
			w[i] = v
		}
		return w, nil
	}
	inside, outside := uint8(0), uint8(3)
	rest, ok := strings.CutPrefix(t, "allow during ")
	if !ok {
		if rest, ok = strings.CutPrefix(t, "block during "); !ok {
			return nil, fmt.Errorf("bad cell %q (allow, block, warn, permission, \"allow during S\" or \"block during S\")", t)
		}
		inside, outside = 3, 0
	}
	var in [minutesPerWeek]bool
	for _, name := range strings.Split(rest, ",") {
		name = strings.TrimSpace(name)
		windows, ok := schedules[name]
		if !ok {
			return nil, fmt.Errorf("unknown schedule %q in %q", name, t)
		}
		if err := markWindows(&in, windows); err != nil {
			return nil, fmt.Errorf("schedule %s: %w", name, err)
		}
	}
	for i := range w {
		w[i] = outside
		if in[i] {
			w[i] = inside
		}
	}
	return w, nil
}

var weekDays = map[string]int{
	"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
	"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
}

// markWindows sets the minutes within the windows, as the engine reads
// them (a window whose end is before its start runs past midnight).
func markWindows(in *[minutesPerWeek]bool, windows []Window) error {
	for _, w := range windows {
		from, err1 := clockMinutes(w.From)
		to, err2 := clockMinutes(w.To)
		if err1 != nil || err2 != nil || from == to {
			return fmt.Errorf("line %d: bad window %s–%s", w.Line, w.From, w.To)
		}
		length := to - from
		if length < 0 {
			length += 1440
		}
		for _, d := range w.Days {
			day, ok := weekDays[strings.ToLower(d)]
			if !ok {
				return fmt.Errorf("line %d: unknown day %q", w.Line, d)
			}
			for k := 0; k < length; k++ {
				in[(day*1440+from+k)%minutesPerWeek] = true
			}
		}
	}
	return nil
}

// looserThan reports the first minute at which w answers less strictly
// than t.
func (w *weekLevels) looserThan(t *weekLevels) (int, bool) {
	for i := range w {
		if w[i] < t[i] {
			return i, true
		}
	}
	return 0, false
}

func minuteName(m int) string {
	days := [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	return fmt.Sprintf("%s %02d:%02d", days[m/1440], m%1440/60, m%60)
}
