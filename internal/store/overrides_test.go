package store

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"schoolgate/internal/policy"
)

var staff = Actor{Name: "mrs.smith", From: "cli@test"}

func TestOverridesLifecycle(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		o, err := s.CreateOverride(ctx, staff, policy.Override{User: "amy", Category: "social-media", Verdict: policy.Allow,
			Until: clk.Now().Add(45 * time.Minute), Reason: "project"})
		if err != nil {
			t.Fatal(err)
		}
		if o.ID == 0 || o.Kind != KindGrant || o.By != "mrs.smith" {
			t.Fatalf("created %+v", o)
		}
		if _, err := s.CreateOverride(ctx, staff, policy.Override{User: "amy", Group: "staff", Verdict: policy.Allow, Until: clk.Now().Add(time.Hour)}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("user and group: err = %v, want ErrInvalid", err)
		}
		if _, err := s.CreateOverride(ctx, staff, policy.Override{User: "amy", Verdict: policy.Allow, Until: clk.Now().Add(-time.Second)}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("past until: err = %v, want ErrInvalid", err)
		}
		if _, err := s.CreateOverride(ctx, Actor{}, policy.Override{User: "amy", Verdict: policy.Allow, Until: clk.Now().Add(time.Hour)}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no actor: err = %v, want ErrInvalid", err)
		}
		sus, err := s.CreateOverride(ctx, staff, policy.Override{Kind: KindSuspension, Group: "pupils-ks2", Verdict: policy.Block,
			Until: clk.Now().Add(2 * time.Hour), Reason: "sanction"})
		if err != nil {
			t.Fatal(err)
		}
		act, err := s.ActiveOverrides(ctx, AllSites, clk.Now())
		if err != nil || len(act) != 2 {
			t.Fatalf("active = %v, %v; want 2", act, err)
		}
		got := act[0]
		if got.User != "amy" || got.Category != "social-media" || got.Verdict != policy.Allow || !got.Until.Equal(o.Until) || got.Reason != "project" {
			t.Fatalf("round trip: %+v, want %+v", got, o)
		}
		// Expiry is exact: in force one microsecond before Until, gone at Until.
		if act, _ := s.ActiveOverrides(ctx, AllSites, o.Until.Add(-time.Microsecond)); len(act) != 2 {
			t.Fatalf("just before expiry: %d active", len(act))
		}
		if act, _ := s.ActiveOverrides(ctx, AllSites, o.Until); len(act) != 1 || act[0].ID != sus.ID {
			t.Fatalf("at expiry: %+v", act)
		}
		if err := s.RevokeOverride(ctx, staff, AllSites, sus.ID, "lifted"); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeOverride(ctx, staff, AllSites, sus.ID, "again"); !errors.Is(err, ErrInvalid) {
			t.Fatalf("revoke twice: %v", err)
		}
		if err := s.RevokeOverride(ctx, staff, AllSites, 999, "x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("revoke missing: %v", err)
		}
		if act, _ := s.ActiveOverrides(ctx, AllSites, clk.Now()); len(act) != 1 || act[0].ID != o.ID {
			t.Fatalf("after revoke: %+v", act)
		}
		c, err := s.RecordContinue(ctx, DefaultSite, "amy", netip.Addr{}, "games.example", clk.Now().Add(10*time.Minute))
		if err != nil || c.Kind != KindContinue || c.Verdict != policy.Allow {
			t.Fatalf("continue: %+v %v", c, err)
		}
		// An unidentified device's Continue belongs to its address.
		ip := netip.MustParseAddr("10.20.3.4")
		dev, err := s.RecordContinue(ctx, DefaultSite, "", ip, "games.example", clk.Now().Add(10*time.Minute))
		if err != nil || dev.Client != ip || dev.User != "" || dev.By != "ip:10.20.3.4" {
			t.Fatalf("device continue: %+v %v", dev, err)
		}
		if got, _, err := s.GetOverride(ctx, AllSites, dev.ID); err != nil || got.Client != ip {
			t.Fatalf("device continue read back: %+v %v", got, err)
		}
		if ovs := policy.NewOverrides(mustActive(t, s, clk.Now())); ovs.Len() != 3 {
			t.Fatalf("%d live overrides, want 3 (one for the device)", ovs.Len())
		}
		all, err := s.ListOverrides(ctx, AllSites, time.Time{}, 0)
		if err != nil || len(all) != 4 {
			t.Fatalf("list: %d %v", len(all), err)
		}
		// Every admin change is audited; the click-through is not.
		recs, err := s.ListAudit(ctx, AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, r := range recs {
			actions = append(actions, r.Action)
		}
		want := []string{"override.create", "override.create", "override.revoke"}
		if len(actions) != len(want) {
			t.Fatalf("audit actions %v, want %v", actions, want)
		}
		for i := range want {
			if actions[i] != want[i] {
				t.Fatalf("audit actions %v, want %v", actions, want)
			}
		}
	})
}

func mustActive(t *testing.T, s *Store, now time.Time) []policy.Override {
	t.Helper()
	act, err := s.ActiveOverrides(ctx0, AllSites, now)
	if err != nil {
		t.Fatal(err)
	}
	return act
}

var ctx0 = context.Background()
