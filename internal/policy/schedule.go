package policy

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"schoolgate/internal/config"
)

const minutesPerWeek = 7 * 24 * 60

// schedule is a set of weekly windows compiled to a minute-of-week bitmap
// (1,260 bytes) plus the sorted minutes at which it opens or closes.
type schedule struct {
	name       string
	bits       [(minutesPerWeek + 63) / 64]uint64
	boundaries []int
}

func (s *schedule) in(m int) bool { return s.bits[m>>6]&(1<<(uint(m)&63)) != 0 }

// next returns minutes from m until the schedule next opens or closes.
func (s *schedule) next(m int) int {
	if len(s.boundaries) == 0 {
		return minutesPerWeek
	}
	i := sort.SearchInts(s.boundaries, m+1)
	if i == len(s.boundaries) {
		return s.boundaries[0] + minutesPerWeek - m
	}
	return s.boundaries[i] - m
}

var dayIndex = map[string]int{
	"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
	"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
}

func parseClock(s string) (int, error) {
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) || len(s) < 4 || len(s) > 5 {
		return 0, fmt.Errorf("bad time of day %q (want HH:MM, 00:00 to 24:00)", s)
	}
	return h*60 + m, nil
}

func compileSchedule(c *config.Config, name string, windows []config.Window) (*schedule, error) {
	s := &schedule{name: name}
	marks := map[int]bool{}
	for i, w := range windows {
		field := fmt.Sprintf("schedules.%s[%d]", name, i)
		from, err := parseClock(w.From)
		if err != nil {
			return nil, fieldErr(c, w.Line, field+".from", err.Error())
		}
		to, err := parseClock(w.To)
		if err != nil {
			return nil, fieldErr(c, w.Line, field+".to", err.Error())
		}
		if from == to {
			return nil, fieldErr(c, w.Line, field, "from and to are the same minute: the window would be empty")
		}
		if len(w.Days) == 0 {
			return nil, fieldErr(c, w.Line, field+".days", "no days given (e.g. [mon, tue, wed, thu, fri])")
		}
		for _, d := range w.Days {
			day, ok := dayIndex[strings.ToLower(d)]
			if !ok {
				return nil, fieldErr(c, w.Line, field+".days", fmt.Sprintf("unknown day %q (use mon, tue, wed, thu, fri, sat, sun)", d))
			}
			start := day*1440 + from
			length := to - from
			if length < 0 { // runs past midnight
				length += 1440
			}
			for k := 0; k < length; k++ {
				m := (start + k) % minutesPerWeek
				s.bits[m>>6] |= 1 << (uint(m) & 63)
			}
			marks[start%minutesPerWeek] = true
			marks[(start+length)%minutesPerWeek] = true
		}
	}
	for m := range marks {
		s.boundaries = append(s.boundaries, m)
	}
	sort.Ints(s.boundaries)
	return s, nil
}

// minuteOfWeek is t's minute since Sunday 00:00 in loc, and the seconds
// already gone in that minute.
func minuteOfWeek(t time.Time, loc *time.Location) (int, int) {
	lt := t.In(loc)
	return int(lt.Weekday())*1440 + lt.Hour()*60 + lt.Minute(), lt.Second()
}
