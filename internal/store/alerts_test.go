package store

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/activity"
)

// TestAlertsFoldScopeAndStates: a hit raises an alert with its events
// copied; a repeat within the fold window folds into it; readers see only
// their scope (and their site); ack, assign, note and close are each
// audited; a closed alert takes no fold; the escalation source lists new
// alerts only and marking a step is audited.
func TestAlertsFoldScopeAndStates(t *testing.T) {
	backends(t, func(t *testing.T, open func(now func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		ev := activity.Event{Time: clk.Now(), Client: netip.MustParseAddr("10.20.0.7"), User: "ada", Groups: []string{"pupils"},
			Host: "bet.example", URL: "http://bet.example/", Categories: []string{"gambling"}, Verdict: "block", Point: activity.PointProxy}
		hit := AlertHit{Site: "school", Rule: "gambling", Title: "Gambling", Severity: 3, Subject: "ada", User: "ada", Group: "pupils",
			First: clk.Now(), Last: clk.Now(), Count: 1, Events: []AlertEvent{AlertEventOf(&ev)}, Fold: 10 * time.Minute, EscalateAfter: 15 * time.Minute}
		id, created, err := s.RaiseAlert(ctx, hit)
		if err != nil || !created {
			t.Fatalf("raise: %d %v %v", id, created, err)
		}
		clk.Add(5 * time.Minute)
		hit.First, hit.Last, hit.Count = clk.Now(), clk.Now(), 2
		if id2, created, err := s.RaiseAlert(ctx, hit); err != nil || created || id2 != id {
			t.Fatalf("fold: %d %v %v", id2, created, err)
		}
		staff := hit
		staff.Subject, staff.User, staff.AboutStaff, staff.Count = "mr.b", "mr.b", true, 1
		sid, _, err := s.RaiseAlert(ctx, staff)
		if err != nil {
			t.Fatal(err)
		}
		other := hit
		other.Site = "school-b"
		if _, _, err := s.RaiseAlert(ctx, other); err != nil {
			t.Fatal(err)
		}

		pupils := AlertScope{Site: "school", Pupils: true}
		list, err := s.ListAlerts(ctx, pupils, AlertFilter{})
		if err != nil || len(list) != 1 || list[0].ID != id || list[0].Count != 3 || list[0].User != "ada" || list[0].Status != AlertNew {
			t.Fatalf("pupils' list %+v %v", list, err)
		}
		if !list[0].LastSeen.After(list[0].FirstSeen) {
			t.Errorf("last seen %v not after first %v", list[0].LastSeen, list[0].FirstSeen)
		}
		if evs, err := s.AlertEvents(ctx, id); err != nil || len(evs) != 2 || evs[0].Host != "bet.example" || evs[0].User != "ada" {
			t.Fatalf("events %+v %v", evs, err)
		}
		if _, err := s.GetAlert(ctx, pupils, sid); !errors.Is(err, ErrNotFound) {
			t.Errorf("a staff alert under the pupils' scope: %v", err)
		}
		if n, err := s.CountAlerts(ctx, AlertScope{Site: "school", Staff: true}, AlertNew); err != nil || n != 1 {
			t.Errorf("staff count %d %v", n, err)
		}
		if n, err := s.CountAlerts(ctx, AlertScope{Site: "school"}, ""); err != nil || n != 0 {
			t.Errorf("no scope counts %d %v", n, err)
		}
		if n, err := s.CountAlerts(ctx, AlertScope{Site: "school", Circumvention: true}, ""); err != nil || n != 0 {
			t.Errorf("circumvention scope counts %d %v", n, err)
		}
		if err := s.AckAlert(ctx, Actor{Name: "ben"}, AlertScope{Site: "school", Staff: true}, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("ack out of scope: %v", err)
		}

		pend, err := s.UnacknowledgedAlerts(ctx, "school", clk.Now())
		if err != nil || len(pend) != 2 || pend[0].ID != id || pend[0].EscalateAfter != 15*time.Minute || pend[0].Group != "pupils" {
			t.Fatalf("pending %+v %v", pend, err)
		}
		if err := s.MarkAlertEscalated(ctx, id, 1, []string{"Ben Cole"}); err != nil {
			t.Fatal(err)
		}

		by := Actor{Name: "amy", Roles: "dsl"}
		if err := s.AckAlert(ctx, by, pupils, id); err != nil {
			t.Fatal(err)
		}
		if err := s.AckAlert(ctx, by, pupils, id); !errors.Is(err, ErrAlertState) {
			t.Errorf("second ack: %v", err)
		}
		if pend, _ := s.UnacknowledgedAlerts(ctx, "school", clk.Now()); len(pend) != 1 || pend[0].ID != sid {
			t.Errorf("pending after ack %+v", pend)
		}
		if err := s.AssignAlert(ctx, by, pupils, id, "amy"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddAlertNote(ctx, by, pupils, id, "spoke to ada"); err != nil {
			t.Fatal(err)
		}
		if err := s.CloseAlert(ctx, by, pupils, id, "resolved", ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("a bad outcome: %v", err)
		}
		if err := s.CloseAlert(ctx, by, pupils, id, OutcomeFalsePositive, "a sports site"); err != nil {
			t.Fatal(err)
		}
		a, err := s.GetAlert(ctx, pupils, id)
		if err != nil || a.Status != AlertClosed || a.Outcome != OutcomeFalsePositive || a.Assignee != "amy" || a.EscalationStep != 1 {
			t.Fatalf("closed %+v %v", a, err)
		}
		if notes, err := s.AlertNotes(ctx, id); err != nil || len(notes) != 2 || notes[1].Text != "a sports site" {
			t.Fatalf("notes %+v %v", notes, err)
		}
		for action, want := range map[string]string{"alert.raise": "schoolgate", "alert.escalate": "schoolgate", "alert.ack": "amy", "alert.assign": "amy", "alert.note": "amy", "alert.close": "amy"} {
			recs, err := s.ListAudit(ctx, AuditFilter{Action: action})
			if err != nil || len(recs) == 0 || recs[0].Actor != want {
				t.Errorf("audit %s: %+v %v", action, recs, err)
			}
			for _, r := range recs {
				if strings.Contains(r.After, "sports") || strings.Contains(r.After, "ada") {
					t.Errorf("%s audit names the note or the pupil: %s", action, r.After)
				}
			}
		}
		// A closed alert takes no more: a repeat raises a new one.
		clk.Add(time.Minute)
		hit.First, hit.Last, hit.Count = clk.Now(), clk.Now(), 1
		if id3, created, err := s.RaiseAlert(ctx, hit); err != nil || !created || id3 == id {
			t.Errorf("after close: %d %v %v", id3, created, err)
		}
		if res, err := s.VerifyAudit(ctx, ""); err != nil || !res.OK() {
			t.Errorf("audit chain: %+v %v", res, err)
		}
	})
}

// TestAlertCursor: the first claim starts at the newest event; a second
// holder is refused while the lease runs and takes over after it; the
// events after the cursor come back in id order.
func TestAlertCursor(t *testing.T) {
	backends(t, func(t *testing.T, open func(now func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		mk := func(host string) activity.Event {
			return activity.Event{Time: clk.Now(), Client: netip.MustParseAddr("10.0.0.1"), Host: host, Verdict: "allow", Point: activity.PointDNS}
		}
		if err := s.InsertEvents(ctx, []activity.Event{mk("a.example"), mk("b.example")}); err != nil {
			t.Fatal(err)
		}
		first, err := s.MaxEventID(ctx)
		if err != nil || first == 0 {
			t.Fatalf("max id %d %v", first, err)
		}
		cur, ok, err := s.ClaimAlertCursor(ctx, "school", "node-a", time.Minute)
		if err != nil || !ok || cur != first {
			t.Fatalf("claim: %d %v %v (newest %d)", cur, ok, err, first)
		}
		if _, ok, err := s.ClaimAlertCursor(ctx, "school", "node-b", time.Minute); err != nil || ok {
			t.Fatalf("a second holder: %v %v", ok, err)
		}
		other := mk("other-school.example")
		other.Site = "school-b"
		if err := s.InsertEvents(ctx, []activity.Event{mk("c.example"), other, mk("d.example")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EventsAfter(ctx, AllSites, cur, 10, func(int64, *activity.Event) error { return nil }); !errors.Is(err, ErrNoSite) {
			t.Errorf("events after for every school: %v", err)
		}
		var hosts []string
		last, err := s.EventsAfter(ctx, DefaultSite, cur, 10, func(id int64, e *activity.Event) error {
			hosts = append(hosts, e.Host)
			return nil
		})
		// Another school's event is not this school's rules' business.
		if err != nil || strings.Join(hosts, " ") != "c.example d.example" {
			t.Fatalf("after %d: %v %v", cur, hosts, err)
		}
		if err := s.AdvanceAlertCursor(ctx, "school", "node-a", last); err != nil {
			t.Fatal(err)
		}
		if err := s.AdvanceAlertCursor(ctx, "school", "node-b", last); !errors.Is(err, ErrNotFound) {
			t.Errorf("advance by a non-holder: %v", err)
		}
		clk.Add(2 * time.Minute)
		if cur, ok, err := s.ClaimAlertCursor(ctx, "school", "node-b", time.Minute); err != nil || !ok || cur != last {
			t.Fatalf("take over: %d %v %v", cur, ok, err)
		}
	})
}
