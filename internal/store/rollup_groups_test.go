package store

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"schoolgate/internal/activity"
)

// TestCountsByGroup: counts by group, from the rolled-up hours and the
// hour in progress alike, an event in two groups counting under each
// and one in none under ""; the same counts when an upgraded database's
// hours are counted by group again from their events; never by group
// and subject together. Both databases.
func TestCountsByGroup(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		start := clk.Now()
		hour := func(at time.Time) []activity.Event {
			var ev []activity.Event
			add := func(n int, user string, groups []string, verdict string) {
				for range n {
					ev = append(ev, activity.Event{Time: at, Client: netip.MustParseAddr("10.0.0.9"), User: user, Groups: groups,
						Host: "a.example", Verdict: verdict, Point: activity.PointProxy})
					at = at.Add(time.Millisecond)
				}
			}
			add(3, "amy", []string{"pupils", "ks2"}, "block")
			add(2, "sam", []string{"staff"}, "allow")
			add(1, "", nil, "allow")
			return ev
		}
		if err := s.InsertEvents(ctx, append(hour(start), hour(start.Add(2*time.Hour))...)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Rollup(ctx, start.Add(90*time.Minute)); err != nil { // the first hour only
			t.Fatal(err)
		}
		// Counts leave the last seconds to the next call: the clock is
		// past the third hour's events.
		clk.Add(2*time.Hour + time.Minute)
		count := func() string {
			t.Helper()
			rows, err := s.Counts(ctx, DefaultSite, start, start.Add(3*time.Hour), []string{"group", "verdict"})
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(rows)
		}
		const want = "[{[ allow] 2} {[ks2 block] 6} {[pupils block] 6} {[staff allow] 4}]"
		if got := count(); got != want {
			t.Errorf("by group: %s, want %s", got, want)
		}
		// Without names or groups: every event once (the "*" rows).
		byVerdict := func() string {
			t.Helper()
			rows, err := s.Counts(ctx, DefaultSite, start, start.Add(3*time.Hour), []string{"verdict"})
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(rows)
		}
		const wantVerdicts = "[{[allow] 6} {[block] 6}]"
		if got := byVerdict(); got != wantVerdicts {
			t.Errorf("by verdict: %s, want %s", got, wantVerdicts)
		}
		// A database rolled up before the aggregates by group.
		if _, err := s.w.ExecContext(ctx, `DELETE FROM activity_group_hourly`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.w.ExecContext(ctx, `UPDATE activity_rollups SET grouped = 0`); err != nil {
			t.Fatal(err)
		}
		if n, err := s.RollupGroups(ctx, 24); err != nil || n != 1 {
			t.Fatalf("counting by group again: %d hours, %v", n, err)
		}
		if got := count(); got != want {
			t.Errorf("by group after the upgrade: %s, want %s", got, want)
		}
		if got := byVerdict(); got != wantVerdicts {
			t.Errorf("by verdict after the upgrade (from activity_hourly): %s, want %s", got, wantVerdicts)
		}
		if n, err := s.RollupGroups(ctx, 24); err != nil || n != 0 {
			t.Errorf("counted by group twice: %d %v", n, err)
		}
		// The hour in progress, once rolled up, counts the same.
		if _, err := s.Rollup(ctx, start.Add(4*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := count(); got != want {
			t.Errorf("by group, all rolled up: %s, want %s", got, want)
		}
		if got := byVerdict(); got != wantVerdicts {
			t.Errorf("by verdict, all rolled up: %s, want %s", got, wantVerdicts)
		}
		// A new hour's "*" rows, an old hour's activity_hourly: the
		// first hour's events gone (as DNS events after 30 days), its
		// counts stay.
		if _, err := s.w.ExecContext(ctx, `DELETE FROM activity WHERE at < $1`, micro(start.Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		if got := byVerdict(); got != wantVerdicts {
			t.Errorf("by verdict, the first hour's events gone: %s, want %s", got, wantVerdicts)
		}
		if _, err := s.Summarize(ctx, Actor{Name: "dsl"}, DefaultSite, start, time.Time{}, []string{"group", "subject"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("group and subject: %v", err)
		}
	})
}
