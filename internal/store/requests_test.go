package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
)

func TestRequestsConcernsAUA(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		r, err := s.CreateRequest(ctx, Request{User: "amy", Client: "10.20.0.5", Groups: []string{"pupils-ks2"},
			Host: "www.instagram.com", URL: "https://www.instagram.com/nasa", Categories: []string{"social-media"}, Reason: "space project"})
		if err != nil || r.ID == 0 || r.Status != StatusPending {
			t.Fatalf("create: %+v %v", r, err)
		}
		if _, err := s.CreateRequest(ctx, Request{User: "amy"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no host: %v", err)
		}
		if _, _, err := s.ApproveRequest(ctx, staff, r.ID, Approval{For: time.Hour, Reason: "ok", Illegal: true}); !errors.Is(err, ErrIllegal) {
			t.Fatalf("illegal approve: %v", err)
		}
		if _, _, err := s.ApproveRequest(ctx, staff, r.ID, Approval{For: time.Hour}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no reason: %v", err)
		}
		if _, _, err := s.ApproveRequest(ctx, staff, r.ID, Approval{For: time.Hour, Reason: "x", Category: "games"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("foreign category: %v", err)
		}
		got, o, err := s.ApproveRequest(ctx, staff, r.ID, Approval{For: 45 * time.Minute, Reason: "supervised"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusApproved || got.OverrideID != o.ID || got.For != 45*time.Minute || got.DecidedBy != staff.Name {
			t.Fatalf("approved: %+v", got)
		}
		if o.User != "amy" || o.Target != "www.instagram.com" || o.Kind != KindUnblock || !o.Until.Equal(clk.Now().Add(45*time.Minute)) {
			t.Fatalf("override: %+v", o)
		}
		if _, err := s.DenyRequest(ctx, staff, r.ID, "no"); !errors.Is(err, ErrNotPending) {
			t.Fatalf("deny decided: %v", err)
		}
		r2, _ := s.CreateRequest(ctx, Request{Client: "10.20.0.6", Host: "games.example", Categories: []string{"games"}})
		if _, _, err := s.ApproveRequest(ctx, staff, r2.ID, Approval{For: time.Hour, Reason: "x"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("approve without user or group: %v", err)
		}
		_, o2, err := s.ApproveRequest(ctx, staff, r2.ID, Approval{For: time.Hour, Reason: "class", Group: "pupils-ks2", Category: "games"})
		if err != nil || o2.Group != "pupils-ks2" || o2.Category != "games" {
			t.Fatalf("group approve: %+v %v", o2, err)
		}
		r3, _ := s.CreateRequest(ctx, Request{User: "bob", Host: "x.example"})
		if d, err := s.DenyRequest(ctx, staff, r3.ID, "not for school"); err != nil || d.Status != StatusDenied {
			t.Fatalf("deny: %+v %v", d, err)
		}
		if _, err := s.GetRequest(ctx, AllSites, 999); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing: %v", err)
		}
		pending, _ := s.ListRequests(ctx, AllSites, StatusPending, 0)
		all, _ := s.ListRequests(ctx, AllSites, "", 0)
		if len(pending) != 0 || len(all) != 3 || all[0].ID != r3.ID {
			t.Fatalf("list: %d pending, %d all", len(pending), len(all))
		}
		if act, _ := s.ActiveOverrides(ctx, AllSites, clk.Now()); len(act) != 2 {
			t.Fatalf("active after approvals: %d", len(act))
		}

		c, err := s.CreateConcern(ctx, Concern{User: "amy", Client: "10.20.0.5", Host: "bad.example", Text: "someone sent me this"})
		if err != nil || c.Status != ConcernOpen {
			t.Fatalf("concern: %+v %v", c, err)
		}
		list, err := s.ListConcerns(ctx, Actor{Name: "dsl"}, ConcernOpen)
		if err != nil || len(list) != 1 || list[0].Text != "someone sent me this" {
			t.Fatalf("concerns: %+v %v", list, err)
		}
		if err := s.SetConcernStatus(ctx, Actor{Name: "dsl"}, c.ID, ConcernClosed); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetConcern(ctx, Actor{Name: "dsl"}, c.ID); err != nil || got.Status != ConcernClosed {
			t.Fatalf("get concern: %+v %v", got, err)
		}

		m := config.Identity{YearGroups: map[string]string{"5": "pupils-ks2"}}
		for _, u := range []string{"amy", "bob"} {
			if err := s.CreateUser(ctx, staff, identity.User{Username: u, Roles: []identity.Role{identity.RolePupil}, YearGroup: "5"}, ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.AcceptAUA(ctx, Acceptance{User: "amy", Group: "pupils-ks2", Version: "2026-1", Client: "10.20.0.5"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AcceptAUA(ctx, Acceptance{User: "amy", Group: "pupils-ks2", Version: "2026-1"}); err != nil {
			t.Fatalf("accept twice: %v", err)
		}
		if ok, _ := s.HasAccepted(ctx, "amy", "2026-1"); !ok {
			t.Fatal("amy has accepted")
		}
		if ok, _ := s.HasAccepted(ctx, "bob", "2026-1"); ok {
			t.Fatal("bob has not accepted")
		}
		missing, err := s.NotAccepted(ctx, DefaultSite, m, "pupils-ks2", "2026-1")
		if err != nil || len(missing) != 1 || missing[0].Username != "bob" {
			t.Fatalf("not accepted: %+v %v", missing, err)
		}
		res, err := s.VerifyAudit(ctx, "")
		if err != nil || !res.OK() {
			t.Fatalf("audit: %+v %v", res, err)
		}
		// request create, approve (+override), create, approve (+override), create, deny,
		// concern create, list, status, read, 2 users, 1 acceptance.
		if res.Records != 15 {
			t.Fatalf("audit records = %d, want 15", res.Records)
		}
	})
}
