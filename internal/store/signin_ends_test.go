package store

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

// TestSignInEndsOtherNode: a device sign-in ended through node A is
// recorded with its audit record and signalled; node B reads it for its
// site (not another school's), and not once it has lapsed.
func TestSignInEndsOtherNode(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, b := open(time.Now), open(time.Now)
		w := b.WatchChanges(ctx)
		drain(w)
		dev := netip.MustParseAddr("10.0.0.2")
		until := time.Now().Add(time.Hour).Truncate(time.Microsecond)
		ends := []SignInEnd{{Addr: dev, User: "jo.pupil", Until: until}, {Addr: netip.MustParseAddr("10.0.0.3"), User: "jo.pupil", Until: time.Now().Add(-time.Second)}}
		if err := a.EndSignIns(ctx, staff, "school", ends, "console.device.end", "user:jo.pupil", map[string]any{"addr": dev.String()}); err != nil {
			t.Fatal(err)
		}
		waitKind(t, w, ChangeSessions, seenWithin(b))
		got, err := b.SignInEnds(ctx, "school")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Addr != dev || got[0].User != "jo.pupil" || !got[0].Until.Equal(until) {
			t.Errorf("B reads %+v, want the one end still holding", got)
		}
		if other, _ := b.SignInEnds(ctx, "school-b"); len(other) != 0 {
			t.Errorf("another school reads %+v", other)
		}
		recs, err := b.ListAudit(ctx, AuditFilter{Action: "console.device.end"})
		if err != nil || len(recs) != 1 || recs[0].Object != "user:jo.pupil" {
			t.Errorf("audit: %+v %v", recs, err)
		}
		if err := b.PurgeSignInEnds(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := b.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM signin_ends`).Scan(&n); err != nil || n != 1 {
			t.Errorf("after the purge %d rows (%v), want the one holding", n, err)
		}
	})
}
