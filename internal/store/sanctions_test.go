package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"schoolgate/internal/policy"
)

// TestSanctionsAllOrNone: the sanctions of one call, their suspensions,
// tasks and audit records are written together or not at all; another
// site's incident is not found; revoking ends the suspension in the same
// transaction.
func TestSanctionsAllOrNone(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		in, err := s.CreateIncident(ctx, staff, Incident{Site: "school", OccurredAt: clk.Now(), Category: "pornography", Summary: "x",
			People: []IncidentPerson{{Username: "amy", Roles: "pupil"}, {Username: "bob", Roles: "pupil"}}})
		if err != nil {
			t.Fatal(err)
		}
		susp := func(user string, until time.Time) *policy.Override {
			return &policy.Override{Kind: KindSuspension, User: user, Verdict: policy.Block, Until: until, Reason: "sanction"}
		}
		// The second suspension is invalid (it ends in the past): nothing
		// of the call stays.
		_, err = s.RecordSanctions(ctx, staff, "school", in.ID, []NewSanction{
			{Sanction: Sanction{Username: "amy", Action: "removal_of_access"}, Suspension: susp("amy", clk.Now().Add(time.Hour))},
			{Sanction: Sanction{Username: "bob", Action: "removal_of_access"}, Suspension: susp("bob", clk.Now().Add(-time.Hour))},
			{Sanction: Sanction{Username: "bob", Action: "refer_technical"}, Task: true},
		})
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("invalid suspension: %v", err)
		}
		list, _ := s.IncidentSanctions(ctx, "school", in.ID)
		ovs, _ := s.ActiveOverrides(ctx, AllSites, clk.Now())
		tasks, _ := s.SanctionTasks(ctx, "school", false)
		recs, _ := s.ListAudit(ctx, AuditFilter{Action: "sanction.record"})
		if len(list)+len(ovs)+len(tasks)+len(recs) != 0 {
			t.Fatalf("a failed call left %d sanctions, %d overrides, %d tasks, %d audit records", len(list), len(ovs), len(tasks), len(recs))
		}
		if _, err := s.RecordSanctions(ctx, staff, "other-school", in.ID, []NewSanction{{Sanction: Sanction{Username: "amy", Action: "warning"}}}); !errors.Is(err, ErrNotFound) {
			t.Errorf("another site's incident: %v", err)
		}
		got, err := s.RecordSanctions(ctx, staff, "school", in.ID, []NewSanction{
			{Sanction: Sanction{Username: "amy", Action: "removal_of_access", Details: `{"scope":"all"}`}, Suspension: susp("amy", clk.Now().Add(time.Hour))},
			{Sanction: Sanction{Username: "bob", Action: "refer_technical"}, Task: true},
		})
		if err != nil || len(got) != 2 || got[0].OverrideID == 0 || got[1].OverrideID != 0 || got[0].By != "mrs.smith" {
			t.Fatalf("recorded: %+v %v", got, err)
		}
		if g, err := s.GetSanction(ctx, "other-school", got[0].ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("another site reads it: %+v %v", g, err)
		}
		if tasks, _ := s.SanctionTasks(ctx, "school", true); len(tasks) != 1 || tasks[0].Username != "bob" || tasks[0].SanctionID != got[1].ID {
			t.Errorf("tasks: %+v", tasks)
		}
		clk.Add(time.Minute)
		r, err := s.RevokeSanction(ctx, Actor{Name: "ms.dsl"}, "school", got[0].ID, "appeal")
		if err != nil || !r.Revoked() || r.RevokedBy != "ms.dsl" {
			t.Fatalf("revoke: %+v %v", r, err)
		}
		if ovs, _ := s.ActiveOverrides(ctx, AllSites, clk.Now()); len(ovs) != 0 {
			t.Errorf("the suspension outlived the revoke: %+v", ovs)
		}
		if _, err := s.RevokeSanction(ctx, Actor{Name: "ms.dsl"}, "school", got[0].ID, "again"); !errors.Is(err, ErrInvalid) {
			t.Errorf("revoked twice: %v", err)
		}
		if of, _ := s.SanctionsOf(ctx, "school", "amy"); len(of) != 1 || of[0].RevokeReason != "appeal" {
			t.Errorf("amy's: %+v", of)
		}
		if ok, err := s.VerifyAudit(ctx, ""); err != nil || ok.BadID != 0 || ok.Records == 0 {
			t.Errorf("audit chain: %+v %v", ok, err)
		}
	})
}
