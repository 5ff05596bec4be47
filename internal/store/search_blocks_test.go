package store

import (
	"context"
	"testing"
	"time"

	"schoolgate/internal/activity"
)

// TestSearchNewestBlocks: a page of a person's or a host's newest events,
// read from the newest index blocks first, is the same page as the whole
// search sorted (several blocks: SQLite's are 65,536 events, PostgreSQL's
// an hour).
func TestSearchNewestBlocks(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		start := clk.Now()
		for _, at := range []time.Time{start, start.Add(2 * time.Hour), start.Add(5 * time.Hour)} {
			if err := s.InsertEvents(ctx, benchEvents(70000, at)); err != nil {
				t.Fatal(err)
			}
		}
		clk.Add(6 * time.Hour)
		by := Actor{Name: "dsl", Site: DefaultSite}
		for _, f := range []ActivityFilter{{User: "pupil007"}, {Host: "site77.example.com"}, {User: "pupil123", Since: start.Add(time.Hour)}, {Host: "nowhere.example"}} {
			all := f
			all.Limit = -1
			var want []activity.Event
			if err := s.SearchActivity(ctx, by, all, func(e activity.Event) error { want = append(want, e); return nil }); err != nil {
				t.Fatal(err)
			}
			for _, limit := range []int{1, 7, 100, 2000} {
				page := f
				page.Limit = limit
				var got []activity.Event
				if err := s.SearchActivity(ctx, by, page, func(e activity.Event) error { got = append(got, e); return nil }); err != nil {
					t.Fatal(err)
				}
				n := min(limit, len(want))
				if len(got) != n {
					t.Fatalf("%+v limit %d: %d events, want %d (of %d)", f, limit, len(got), n, len(want))
				}
				for i := range got {
					if !got[i].Time.Equal(want[i].Time) || got[i].Host != want[i].Host || got[i].User != want[i].User {
						t.Fatalf("%+v limit %d: event %d is %s %s, want %s %s", f, limit, i, got[i].Time, got[i].Host, want[i].Time, want[i].Host)
					}
				}
			}
			if f.Host != "nowhere.example" && len(want) == 0 {
				t.Fatalf("%+v: nothing found", f)
			}
		}
	})
}
