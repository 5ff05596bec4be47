package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/identity"
)

// TestAPITokens: tokens on both back ends; only the hash finds one; a
// pupil, a visitor or a disabled person can have none; disabling a
// person revokes theirs; revocation is audited.
func TestAPITokens(t *testing.T) {
	backends(t, func(t *testing.T, open func(now func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		admin := Actor{Name: "admin", From: "test"}
		for _, u := range []identity.User{
			{Username: "dsl1", Roles: []identity.Role{identity.RoleDSL}},
			{Username: "ada", Roles: []identity.Role{identity.RolePupil}},
			{Username: "guest", Roles: []identity.Role{identity.RoleVisitor}},
		} {
			if err := s.CreateUser(ctx, admin, u, ""); err != nil {
				t.Fatal(err)
			}
		}
		now := clk.Now()
		tok, err := s.CreateAPIToken(ctx, admin, APIToken{Name: "report", Username: "dsl1", Created: now, Expires: now.Add(90 * 24 * time.Hour)}, "h1")
		if err != nil || tok.ID == 0 {
			t.Fatalf("create: %+v %v", tok, err)
		}
		for _, who := range []string{"ada", "guest"} {
			if _, err := s.CreateAPIToken(ctx, admin, APIToken{Name: "x", Username: who, Created: now, Expires: now.Add(time.Hour)}, "h-"+who); !errors.Is(err, ErrNoToken) {
				t.Errorf("a token for %s: %v", who, err)
			}
		}
		if _, err := s.CreateAPIToken(ctx, admin, APIToken{Name: "x", Username: "nobody", Created: now, Expires: now.Add(time.Hour)}, "h-n"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a token for nobody: %v", err)
		}
		if _, err := s.CreateAPIToken(ctx, admin, APIToken{Name: "dup", Username: "dsl1", Created: now, Expires: now.Add(time.Hour)}, "h1"); err == nil {
			t.Error("a duplicate hash accepted")
		}
		got, err := s.LookupAPIToken(ctx, "h1")
		if err != nil || got.ID != tok.ID || got.Username != "dsl1" || !got.Expires.Equal(tok.Expires) || !got.Active(now) || got.Active(tok.Expires) {
			t.Fatalf("lookup: %+v %v", got, err)
		}
		if _, err := s.LookupAPIToken(ctx, "h2"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown hash: %v", err)
		}
		clk.Add(time.Minute)
		if err := s.TouchAPIToken(ctx, tok.ID, clk.Now()); err != nil {
			t.Fatal(err)
		}
		second, err := s.CreateAPIToken(ctx, admin, APIToken{Name: "second", Username: "dsl1", Created: now, Expires: now.Add(time.Hour)}, "h2")
		if err != nil {
			t.Fatal(err)
		}
		list, err := s.ListAPITokens(ctx, AllSites)
		if err != nil || len(list) != 2 || list[0].ID != second.ID || !list[1].LastUsed.Equal(clk.Now()) {
			t.Fatalf("list: %+v %v", list, err)
		}
		if err := s.RevokeAPIToken(ctx, admin, second.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeAPIToken(ctx, admin, 9999); !errors.Is(err, ErrNotFound) {
			t.Errorf("revoke unknown: %v", err)
		}
		if got, _ := s.LookupAPIToken(ctx, "h2"); got.Active(clk.Now()) {
			t.Error("a revoked token is active")
		}
		if err := s.SetDisabled(ctx, admin, "dsl1", true); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.LookupAPIToken(ctx, "h1"); got.Active(clk.Now()) || got.Revoked.IsZero() {
			t.Errorf("a disabled person's token: %+v", got)
		}
		if _, err := s.CreateAPIToken(ctx, admin, APIToken{Name: "x", Username: "dsl1", Created: now, Expires: now.Add(time.Hour)}, "h3"); !errors.Is(err, ErrNoToken) {
			t.Errorf("a token for a disabled person: %v", err)
		}
		recs, err := s.ListAudit(ctx, AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, r := range recs {
			if r.Object == "user:dsl1" {
				actions[r.Action]++
			}
		}
		if actions["api-token.create"] != 2 || actions["api-token.revoke"] != 2 {
			t.Errorf("audit: %v", actions)
		}
	})
}

// TestLatestAudit: the last records, oldest first.
func TestLatestAudit(t *testing.T) {
	backends(t, func(t *testing.T, open func(now func() time.Time) *Store) {
		ctx := context.Background()
		s := open(newClock().Now)
		for _, a := range []string{"one", "two", "three"} {
			if err := s.Audit(ctx, Actor{Name: "x"}, a, "obj", nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		recs, err := s.LatestAudit(ctx, AllSites, 2)
		if err != nil || len(recs) != 2 || recs[0].Action != "two" || recs[1].Action != "three" {
			t.Fatalf("%+v %v", recs, err)
		}
		if _, err := s.LatestAudit(ctx, AllSites, 0); !errors.Is(err, ErrInvalid) {
			t.Errorf("limit 0: %v", err)
		}
	})
}

// TestAPITokensPrune: an import with prune that disables a person
// revokes their tokens too.
func TestAPITokensPrune(t *testing.T) {
	backends(t, func(t *testing.T, open func(now func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		admin := Actor{Name: "admin"}
		if err := s.CreateUser(ctx, admin, identity.User{Username: "tom", Roles: []identity.Role{identity.RoleTeacher}}, ""); err != nil {
			t.Fatal(err)
		}
		now := clk.Now()
		if _, err := s.CreateAPIToken(ctx, admin, APIToken{Name: "x", Username: "tom", Created: now, Expires: now.Add(time.Hour)}, "h-tom"); err != nil {
			t.Fatal(err)
		}
		f, err := identity.ParseUsersCSV(strings.NewReader("username,display_name,role\namy,Amy,pupil\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum, err := s.ImportUsers(ctx, admin, f, true); err != nil || sum.Disabled != 1 {
			t.Fatalf("import: %+v %v", sum, err)
		}
		if got, err := s.LookupAPIToken(ctx, "h-tom"); err != nil || got.Active(clk.Now()) {
			t.Errorf("a pruned person's token: %+v %v", got, err)
		}
	})
}
