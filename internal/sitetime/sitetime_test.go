package sitetime

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip(err)
	}
	summer := time.Date(2026, 7, 1, 10, 0, 0, 0, loc)
	for s, want := range map[string]time.Time{
		"2026-07-01T09:00:00Z": summer,
		"2026-07-01T10:00:00":  summer,
		"2026-07-01T10:00":     summer,
		"2026-07-01 10:00:00":  summer,
		"2026-07-01 10:00":     summer,
		"2026-07-01":           time.Date(2026, 7, 1, 0, 0, 0, 0, loc),
	} {
		got, ok := Parse(s, loc)
		if want.IsZero() {
			if ok {
				t.Errorf("%q: read as %v, want refused", s, got)
			}
			continue
		}
		if !ok || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "tomorrow", "24h", "2026-13-01"} {
		if got, ok := Parse(s, loc); ok {
			t.Errorf("%q: read as %v", s, got)
		}
	}
}
