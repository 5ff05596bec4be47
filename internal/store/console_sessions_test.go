package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"schoolgate/internal/identity"
)

// TestConsoleSessions: sessions and second factors on both back ends;
// disabling a person ends their sessions.
func TestConsoleSessions(t *testing.T) {
	backends(t, func(t *testing.T, open func(now func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		admin := Actor{Name: "admin", From: "test"}
		if err := s.CreateUser(ctx, admin, identity.User{Username: "dsl1", Roles: []identity.Role{identity.RoleDSL}}, "x"); err != nil {
			t.Fatal(err)
		}
		now := clk.Now()
		for _, id := range []string{"h1", "h2"} {
			if err := s.CreateConsoleSession(ctx, ConsoleSession{IDHash: id, Username: "dsl1", Created: now, Seen: now, CSRF: "tok", Address: "127.0.0.1", UserAgent: "ua"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CreateConsoleSession(ctx, ConsoleSession{IDHash: "h1", Username: "dsl1", CSRF: "t"}); err == nil {
			t.Error("a duplicate id accepted")
		}
		if err := s.SetConsolePendingSecret(ctx, "h1", "SECRET"); err != nil {
			t.Fatal(err)
		}
		cs, err := s.GetConsoleSession(ctx, "h1")
		if err != nil || cs.Username != "dsl1" || !cs.Created.Equal(now) || !cs.Verified.IsZero() || cs.PendingSecret != "SECRET" || cs.CSRF != "tok" || cs.UserAgent != "ua" {
			t.Fatalf("%+v %v", cs, err)
		}
		clk.Add(time.Minute)
		if err := s.VerifyConsoleSession(ctx, "h1", clk.Now()); err != nil {
			t.Fatal(err)
		}
		if err := s.TouchConsoleSession(ctx, "h1", clk.Now()); err != nil {
			t.Fatal(err)
		}
		cs, _ = s.GetConsoleSession(ctx, "h1")
		if !cs.Verified.Equal(clk.Now()) || !cs.Seen.Equal(clk.Now()) || cs.PendingSecret != "" {
			t.Fatalf("after verify: %+v", cs)
		}
		if err := s.TouchConsoleSession(ctx, "nope", clk.Now()); !errors.Is(err, ErrNotFound) {
			t.Errorf("touch unknown: %v", err)
		}
		// h2 was last seen a minute before h1: purging the idle ends it alone.
		if n, err := s.PurgeConsoleSessions(ctx, clk.Now().Add(-30*time.Second), now.Add(-time.Hour)); err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}
		if _, err := s.GetConsoleSession(ctx, "h2"); !errors.Is(err, ErrNotFound) {
			t.Errorf("h2 still there: %v", err)
		}
		if err := s.SetDisabled(ctx, admin, "dsl1", true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetConsoleSession(ctx, "h1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a disabled person's session survived: %v", err)
		}

		// The second factor: a step is good once; a recovery code too.
		if _, err := s.GetConsoleTOTP(ctx, "dsl1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("not enrolled: %v", err)
		}
		if err := s.EnrolConsoleTOTP(ctx, Actor{Name: "dsl1", From: "127.0.0.1"}, "dsl1", "SECRET", 100, []string{"ra", "rb"}); err != nil {
			t.Fatal(err)
		}
		for step, want := range map[int64]bool{100: false, 99: false} {
			if ok, err := s.UseConsoleTOTPStep(ctx, "dsl1", step); err != nil || ok != want {
				t.Errorf("step %d: %v %v", step, ok, err)
			}
		}
		if ok, _ := s.UseConsoleTOTPStep(ctx, "dsl1", 101); !ok {
			t.Error("a new step refused")
		}
		if ok, _ := s.UseConsoleRecoveryCode(ctx, "dsl1", "rb"); !ok {
			t.Error("recovery code refused")
		}
		if ok, _ := s.UseConsoleRecoveryCode(ctx, "dsl1", "rb"); ok {
			t.Error("recovery code used twice")
		}
		tt, err := s.GetConsoleTOTP(ctx, "dsl1")
		if err != nil || tt.Secret != "SECRET" || tt.LastStep != 101 || len(tt.Recovery) != 1 || tt.Recovery[0] != "ra" {
			t.Fatalf("%+v %v", tt, err)
		}
		recs, err := s.ListAudit(ctx, AuditFilter{Action: "console.totp.enrol"})
		if err != nil || len(recs) != 1 || recs[0].Object != "user:dsl1" || recs[0].Actor != "dsl1" || recs[0].After != `{"recovery_codes":2}` {
			t.Errorf("enrol audit: %+v %v", recs, err)
		}
		if _, err := s.Counts(ctx, DefaultSite, now.Add(-time.Hour), now, []string{"subject"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("counts by subject: %v", err)
		}
		if _, err := s.Counts(ctx, DefaultSite, now.Add(-24*time.Hour), now, []string{"category", "verdict"}); err != nil {
			t.Errorf("counts: %v", err)
		}
	})
}
