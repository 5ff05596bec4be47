package cli

import (
	"testing"
	"time"
)

// TestUntilDaily: the next run is later today, or tomorrow once the
// time has passed, in the site's zone (across a clock change too).
func TestUntilDaily(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip("no time zone data")
	}
	for _, c := range []struct {
		now  time.Time
		want time.Duration
	}{
		{time.Date(2026, 12, 2, 6, 59, 57, 0, london), 3 * time.Second},
		{time.Date(2026, 12, 2, 7, 0, 0, 0, london), 24 * time.Hour},
		{time.Date(2026, 12, 2, 7, 0, 1, 0, london), 24*time.Hour - time.Second},
		// The clocks go forward on 29 March 2026: 23 hours to 07:00.
		{time.Date(2026, 3, 28, 7, 0, 0, 0, london), 23 * time.Hour},
	} {
		if got := untilDaily(c.now, 7*60); got != c.want {
			t.Errorf("%v: %v, want %v", c.now, got, c.want)
		}
	}
}
