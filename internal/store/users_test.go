package store

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
)

func TestUsersImportAndDirectory(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		csv := "username,display_name,role,year_group,groups,email\n" +
			"amy,Amy,pupil,5,robotics,\n" +
			"tom,Tom,staff,,nominated-staff,tom@school.example\n" +
			"bad user,X,pupil,,,\n"
		f, err := identity.ParseUsersCSV(strings.NewReader(csv), nil)
		if err != nil || len(f.Errors) != 1 || f.Errors[0].Line != 4 {
			t.Fatalf("parse: %+v %v", f, err)
		}
		sum, err := s.ImportUsers(ctx, staff, f, false)
		if err != nil || sum.Added != 2 {
			t.Fatalf("import: %+v %v", sum, err)
		}
		if sum, _ := s.ImportUsers(ctx, staff, f, false); sum.Unchanged != 2 || sum.Added+sum.Updated != 0 {
			t.Fatalf("re-import not idempotent: %+v", sum)
		}
		f2, _ := identity.ParseUsersCSV(strings.NewReader("username,display_name,role,year_group,groups\namy,Amy,pupil,6,robotics\n"), nil)
		sum, err = s.ImportUsers(ctx, staff, f2, true)
		if err != nil || sum.Updated != 1 || sum.Disabled != 1 {
			t.Fatalf("prune: %+v %v", sum, err)
		}
		if tom, _ := s.GetUser(ctx, "tom"); !tom.Disabled {
			t.Fatal("tom should be disabled by --prune")
		}
		if err := s.SetDisabled(ctx, staff, "tom", false); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, staff, identity.User{Username: "amy"}, ""); !errors.Is(err, ErrExists) {
			t.Fatalf("duplicate: %v", err)
		}
		if err := s.CreateUser(ctx, staff, identity.User{Username: "Amy!"}, ""); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad name: %v", err)
		}
		hash, _ := identity.HashPassword("correct horse", identity.DefaultHashParams())
		if err := s.SetPassword(ctx, staff, "amy", hash); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPassword(ctx, staff, "nobody", hash); !errors.Is(err, ErrNotFound) {
			t.Fatalf("password for nobody: %v", err)
		}
		m := config.Identity{YearGroups: map[string]string{"6": "pupils-ks2"}, Roles: map[string]string{"pupil": "pupils"}}
		d, err := NewDirectory(s, DirectoryOptions{Mapping: func() config.Identity { return m }, PerAccount: 3, PerClient: 5, Window: time.Minute, CacheTTL: -1})
		if err != nil {
			t.Fatal(err)
		}
		ip := netip.MustParseAddr("10.20.0.5")
		u, err := d.Authenticate(ctx, "amy", "correct horse", ip)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(u.Groups, ",") != "robotics,pupils-ks2,pupils" || u.YearGroup != "6" {
			t.Fatalf("groups = %v", u.Groups)
		}
		for i := 0; i < 3; i++ {
			if _, err := d.Authenticate(ctx, "amy", "wrong", ip); !errors.Is(err, identity.ErrBadCredentials) {
				t.Fatalf("wrong password %d: %v", i, err)
			}
		}
		if _, err := d.Authenticate(ctx, "amy", "correct horse", netip.MustParseAddr("10.20.0.9")); !errors.Is(err, identity.ErrRateLimited) {
			t.Fatalf("account limit: %v", err)
		}
		// A different account from the same client: two more failures
		// reach the client's limit.
		d.Authenticate(ctx, "ghost", "x", ip)
		d.Authenticate(ctx, "ghost2", "x", ip)
		if _, err := d.Authenticate(ctx, "tom", "anything", ip); !errors.Is(err, identity.ErrRateLimited) {
			t.Fatalf("client limit: %v", err)
		}
		clk.Add(time.Minute)
		if _, err := d.Authenticate(ctx, "amy", "correct horse", ip); err != nil {
			t.Fatalf("after the window: %v", err)
		}
		s.SetDisabled(ctx, staff, "amy", true)
		if _, err := d.Authenticate(ctx, "amy", "correct horse", ip); !errors.Is(err, identity.ErrDisabled) {
			t.Fatalf("disabled: %v", err)
		}
		if _, err := d.Lookup(ctx, "nobody"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("lookup: %v", err)
		}
		// The audit trail never holds a password hash.
		recs, _ := s.ListAudit(ctx, AuditFilter{})
		for _, r := range recs {
			if strings.Contains(r.Before+r.After, "argon2") {
				t.Fatalf("hash in audit record %d", r.ID)
			}
		}
	})
}

// TestImportKeepsAbsentColumns: a re-import from an export without a
// groups (or e-mail) column keeps what the users had; an empty cell in a
// column the file has clears it.
func TestImportKeepsAbsentColumns(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		s := open(nil)
		imp := func(csv string) ImportSummary {
			t.Helper()
			f, err := identity.ParseUsersCSV(strings.NewReader(csv), nil)
			if err != nil || len(f.Errors) > 0 {
				t.Fatalf("parse: %+v %v", f, err)
			}
			sum, err := s.ImportUsers(ctx, staff, f, false)
			if err != nil {
				t.Fatal(err)
			}
			return sum
		}
		imp("username,display_name,role,year_group,groups,email\namy,Amy,pupil,5,robotics;choir,amy@school.example\n")
		if sum := imp("username,display_name,year_group\namy,Amy Smith,6\n"); sum.Updated != 1 {
			t.Fatalf("update: %+v", sum)
		}
		amy, err := s.GetUser(ctx, "amy")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(amy.Groups, ";") != "robotics;choir" || amy.Email != "amy@school.example" || identity.JoinRoles(amy.Roles) != "pupil" ||
			amy.DisplayName != "Amy Smith" || amy.YearGroup != "6" {
			t.Fatalf("after an import without groups, role and email columns: %+v", amy)
		}
		if sum := imp("username,display_name,year_group\namy,Amy Smith,6\n"); sum.Unchanged != 1 {
			t.Fatalf("re-import: %+v", sum)
		}
		imp("username,groups,email\namy,,\n")
		if amy, _ = s.GetUser(ctx, "amy"); len(amy.Groups) != 0 || amy.Email != "" || identity.JoinRoles(amy.Roles) != "pupil" {
			t.Fatalf("empty cells should clear: %+v", amy)
		}
	})
}
