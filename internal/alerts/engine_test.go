package alerts

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

const gamblingRules = `alerts:
  rules:
    - {name: gambling-attempts, title: Gambling sites, severity: 3, category: [gambling], escalate_after: 15m}
`

type noticeLog []Notice

func (n *noticeLog) Raised(_ context.Context, a Notice) { *n = append(*n, a) }

// TestQueueOverflowCatchesUp: with a queue of four, 96 of 100 events are
// dropped (and counted); the engine then judges them from the stored log
// after its cursor, skipping the four it judged live, so each pupil's
// alert counts exactly their ten events. Afterwards, with no drops, the
// cursor jumps to the newest event and nothing is judged twice.
func TestQueueOverflowCatchesUp(t *testing.T) {
	backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		rs, err := Compile(testPolicy(t, gamblingRules), nil)
		if err != nil {
			t.Fatal(err)
		}
		var told noticeLog
		e, err := New(rs, Options{Store: s, QueueSize: 4, Notifier: &told, Holder: "test",
			Roles: func(ctx context.Context, u string) ([]identity.Role, error) {
				if u == "teacher0" {
					return []identity.Role{identity.RoleTeacher}, nil
				}
				return []identity.Role{identity.RolePupil}, nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		e.keepCursor(ctx) // claims the cursor at the newest event (none)
		if !e.owner {
			t.Fatal("a lone node does not own the cursor")
		}
		t0 := time.Now().Truncate(time.Second)
		var batch []activity.Event
		for i := range 100 {
			ev := activity.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), Client: netip.MustParseAddr("10.20.0.1"),
				User: fmt.Sprintf("pupil%d", i%10), Groups: []string{"pupils"}, Host: "bet.example", Categories: []string{"gambling"},
				Verdict: "block", Point: activity.PointDNS}
			if i%10 == 0 && i > 0 {
				ev.User = "teacher0"
			}
			e.Log(ev)
			batch = append(batch, ev)
		}
		if e.Dropped() != 96 {
			t.Fatalf("dropped %d, want 96", e.Dropped())
		}
		if err := s.InsertEvents(ctx, batch); err != nil {
			t.Fatal(err)
		}
		e.drain()
		e.keepCursor(ctx)
		e.flush(ctx)
		if e.catching {
			t.Error("still catching up after reading every stored event")
		}
		all := store.AlertScope{Site: "school", Pupils: true, Staff: true}
		list, err := s.ListAlerts(ctx, all, store.AlertFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, a := range list {
			total += a.Count
			if a.Severity != 3 || a.Rule != "gambling-attempts" {
				t.Errorf("alert %+v", a)
			}
			if a.AboutStaff != (a.User == "teacher0") {
				t.Errorf("%s about staff: %v", a.User, a.AboutStaff)
			}
		}
		if total != 100 || len(list) != 11 {
			t.Fatalf("%d alerts counting %d events, want 11 counting 100: %+v", len(list), total, list)
		}
		if len(told) != 11 || told[0].EscalateAfter != 15*time.Minute || told[0].Title != "Gambling sites" {
			t.Errorf("notices %+v", told)
		}

		// No drops now: the live path judges, the cursor jumps.
		batch = batch[:0]
		for i := range 3 {
			ev := activity.Event{Time: t0.Add(time.Second + time.Duration(i)*time.Millisecond), Client: netip.MustParseAddr("10.20.0.1"),
				User: "pupil1", Groups: []string{"pupils"}, Host: "bet.example", Categories: []string{"gambling"}, Verdict: "block", Point: activity.PointDNS}
			e.Log(ev)
			batch = append(batch, ev)
		}
		if err := s.InsertEvents(ctx, batch); err != nil {
			t.Fatal(err)
		}
		e.drain()
		e.keepCursor(ctx)
		e.flush(ctx)
		list, _ = s.ListAlerts(ctx, all, store.AlertFilter{})
		var pupil1 int64
		for _, a := range list {
			if a.User == "pupil1" {
				pupil1 += a.Count
			}
		}
		if want := int64(10 + 3); pupil1 != want {
			t.Errorf("pupil1's count %d, want %d", pupil1, want)
		}
		newest, _, _ := s.NewestEvent(ctx)
		if cur, _, _ := s.ClaimAlertCursor(ctx, "school", "test", time.Minute); cur != newest {
			t.Errorf("cursor %d, newest %d", cur, newest)
		}
	})
}

// TestSecondNodeStandsBy: a node that does not hold the lease judges
// nothing live (the holder judges the stored events).
func TestSecondNodeStandsBy(t *testing.T) {
	backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		rs, err := Compile(testPolicy(t, gamblingRules), nil)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := New(rs, Options{Store: s, Holder: "a"})
		b, _ := New(rs, Options{Store: s, Holder: "b"})
		a.keepCursor(ctx)
		b.keepCursor(ctx)
		if !a.owner || b.owner {
			t.Fatalf("owners a=%v b=%v", a.owner, b.owner)
		}
		b.Log(activity.Event{Time: time.Now(), User: "ada", Categories: []string{"gambling"}, Verdict: "block"})
		b.drain()
		b.flush(ctx)
		if n, _ := s.CountAlerts(ctx, store.AlertScope{Site: "school", Pupils: true}, ""); n != 0 {
			t.Errorf("the standby node raised %d alerts", n)
		}
	})
}

// TestEngineRunStoresPromptly: through Run, an event on an illegal
// category is an alert in the store within a second.
func TestEngineRunStoresPromptly(t *testing.T) {
	backends(t, func(t *testing.T, s *store.Store) {
		rs, err := Compile(testPolicy(t, gamblingRules), nil)
		if err != nil {
			t.Fatal(err)
		}
		e, _ := New(rs, Options{Store: s})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- e.Run(ctx) }()
		start := time.Now()
		e.Log(activity.Event{Time: start, Client: netip.MustParseAddr("10.20.0.3"), Groups: []string{"pupils"}, Host: "bad.example",
			Categories: []string{"illegal-test"}, Illegal: true, Verdict: "block"})
		sc := store.AlertScope{Site: "school", Pupils: true}
		for {
			list, err := s.ListAlerts(context.Background(), sc, store.AlertFilter{Severity: 5})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) == 1 {
				if list[0].Rule != IllegalRule || list[0].Client != "10.20.0.3" {
					t.Errorf("alert %+v", list[0])
				}
				break
			}
			if time.Since(start) > time.Second {
				t.Fatal("no alert within a second")
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// TestLaggingWriterNotJudgedTwice: events judged live but stored only a
// minute later (a lagging activity writer), then a drop: the catch-up
// skips them, however long they took to be stored.
func TestLaggingWriterNotJudgedTwice(t *testing.T) {
	backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		rs, err := Compile(testPolicy(t, gamblingRules), nil)
		if err != nil {
			t.Fatal(err)
		}
		clock := time.Now()
		e, err := New(rs, Options{Store: s, QueueSize: 8, Now: func() time.Time { return clock }})
		if err != nil {
			t.Fatal(err)
		}
		e.keepCursor(ctx)
		mk := func(i int) activity.Event {
			return activity.Event{Time: clock.Add(time.Duration(i) * time.Millisecond), Client: netip.MustParseAddr("10.20.0.1"), User: "ada",
				Groups: []string{"pupils"}, Host: "bet.example", Categories: []string{"gambling"}, Verdict: "block", Point: activity.PointDNS}
		}
		var early []activity.Event
		for i := range 5 {
			early = append(early, mk(i))
			e.Log(early[i])
		}
		e.drain()
		clock = clock.Add(time.Minute)
		e.keepCursor(ctx) // nothing stored yet: the fast path, nothing to prune against
		var late []activity.Event
		for i := range 20 {
			late = append(late, mk(100+i))
			e.Log(late[i]) // 8 fit, 12 dropped
		}
		if err := s.InsertEvents(ctx, append(early, late...)); err != nil {
			t.Fatal(err)
		}
		e.drain()
		e.keepCursor(ctx)
		e.flush(ctx)
		list, err := s.ListAlerts(ctx, store.AlertScope{Site: "school", Pupils: true}, store.AlertFilter{})
		if err != nil || len(list) != 1 || list[0].Count != 25 {
			t.Fatalf("%+v %v: want one alert counting 25", list, err)
		}
	})
}
