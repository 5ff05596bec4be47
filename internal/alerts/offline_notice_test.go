package alerts

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/store"
)

// downStore refuses to raise alerts while down, as a database that does
// not answer does.
type downStore struct {
	*store.Store
	down int // refusals left
}

func (d *downStore) RaiseAlert(ctx context.Context, h store.AlertHit) (int64, bool, error) {
	if d.down > 0 {
		d.down--
		return 0, false, fmt.Errorf("store: raise alert: %w", errors.New("connection refused"))
	}
	return d.Store.RaiseAlert(ctx, h)
}

// TestAlertWhileDatabaseDown: an alert the database cannot take yet is
// told to the contacts at once (no id: not stored yet), stored when the
// database answers, and not told a second time.
func TestAlertWhileDatabaseDown(t *testing.T) {
	backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		rs, err := Compile(testPolicy(t, gamblingRules), nil)
		if err != nil {
			t.Fatal(err)
		}
		var told noticeLog
		ds := &downStore{Store: s, down: 2}
		e, err := New(rs, Options{Store: ds, Notifier: &told, Holder: "test"})
		if err != nil {
			t.Fatal(err)
		}
		e.keepCursor(ctx)
		e.Log(activity.Event{Time: time.Now(), Client: netip.MustParseAddr("10.20.0.1"), User: "pupil1", Groups: []string{"pupils"},
			Host: "bet.example", Categories: []string{"gambling"}, Verdict: "block", Point: activity.PointDNS})
		e.drain()
		start := time.Now()
		e.flush(ctx) // two refusals (a second's pause, then two), then stored
		if len(told) != 1 || told[0].ID != 0 || told[0].Rule != "gambling-attempts" || told[0].Severity != 3 {
			t.Fatalf("told %+v, want one notice without an id", told)
		}
		list, err := s.ListAlerts(ctx, store.AlertScope{Site: "school", Pupils: true, Staff: true}, store.AlertFilter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("stored %d alerts once the database answered (after %s), %v", len(list), time.Since(start).Round(time.Millisecond), err)
		}
	})
}
