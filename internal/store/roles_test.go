package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
)

// TestMigrationV6RolesAndAudit builds a version 5 database with single
// free-text roles and a v1 audit chain, opens it with this program and
// checks that the roles read as role lists, the old chain still verifies,
// new records carry the actor's roles and OS account, and editing or
// blanking either is caught.
func TestMigrationV6RolesAndAudit(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			var opt Options
			if backend == "sqlite" {
				opt.SQLitePath = filepath.Join(t.TempDir(), "v5.db")
			} else {
				opt.PostgresDSN = PostgresTestDSN(t)
			}
			old := opt
			old.schemaVersion = 5
			s5, err := Open(ctx, old)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range [][2]string{{"amy", "pupil"}, {"mr.jones", "Staff"}, {"gov1", "governor"}, {"lib", "librarian"}, {"head", "headteacher"}} {
				if _, err := s5.w.ExecContext(ctx, `INSERT INTO users (username, role, created, updated) VALUES ($1, $2, 0, 0)`, u[0], u[1]); err != nil {
					t.Fatal(err)
				}
			}
			prev := genesis
			at := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)
			for id := int64(1); id <= 3; id++ {
				r := AuditRecord{ID: id, At: at, Actor: "mrs.smith", From: "cli@old", Action: "user.create", Object: "user:amy", Prev: prev}
				r.Hash = r.ComputeHash()
				if _, err := s5.w.ExecContext(ctx, `INSERT INTO audit (id, at, actor, origin, action, object, before, after, prev_hash, hash)
					VALUES ($1, $2, $3, $4, $5, $6, '', '', $7, $8)`, r.ID, micro(r.At), r.Actor, r.From, r.Action, r.Object, r.Prev, r.Hash); err != nil {
					t.Fatal(err)
				}
				prev = r.Hash
			}
			s5.Close()

			s := openTest(t, opt)
			want := map[string]string{"amy": "pupil", "mr.jones": "staff", "gov1": "governor", "lib": "", "head": "slt"}
			for name, roles := range want {
				u, err := s.GetUser(ctx, name)
				if err != nil || identity.JoinRoles(u.Roles) != roles {
					t.Errorf("%s: roles %v %v, want %q", name, u.Roles, err, roles)
				}
			}
			verify := func(wantBad int64) {
				t.Helper()
				res, err := s.VerifyAudit(ctx, "")
				if err != nil || res.BadID != wantBad {
					t.Fatalf("verify: %+v %v, want bad %d", res, err, wantBad)
				}
			}
			verify(0)
			by := Actor{Name: "mrs.smith", From: "cli@new", Roles: "teacher,dsl", OSUser: "itadmin"}
			if err := s.Audit(ctx, by, "policy.reload", "policy", nil, nil); err != nil {
				t.Fatal(err)
			}
			recs, _ := s.ListAudit(ctx, AuditFilter{Action: "policy.reload"})
			if len(recs) != 1 || recs[0].Roles != "teacher,dsl" || recs[0].OSUser != "itadmin" || recs[0].ID != 4 {
				t.Fatalf("new record: %+v", recs)
			}
			verify(0)
			exec := func(q string) {
				t.Helper()
				if _, err := s.w.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			exec(`UPDATE audit SET os_user = 'root' WHERE id = 4`)
			verify(4)
			exec(`UPDATE audit SET os_user = '', actor_roles = '' WHERE id = 4`)
			verify(4)
			exec(`UPDATE audit SET os_user = 'itadmin', actor_roles = 'teacher,dsl' WHERE id = 4`)
			verify(0)
			exec(`UPDATE audit SET os_user = 'root' WHERE id = 2`)
			verify(2)
		})
	}
}

// TestSeveralRoles stores a person with several roles and finds the group
// each maps to; a directory group the policy does not know is kept.
func TestSeveralRoles(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		s := open(nil)
		u := identity.User{Username: "mrs.smith", Roles: []identity.Role{identity.RoleDSL, identity.RoleTeacher}, Groups: []string{"drake-house"}}
		if err := s.CreateUser(ctx, staff, u, ""); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetUser(ctx, "mrs.smith")
		if err != nil || identity.JoinRoles(got.Roles) != "teacher,dsl" {
			t.Fatalf("roles: %+v %v", got, err)
		}
		m := config.Identity{Roles: map[string]string{"teacher": "staff", "dsl": "safeguarding"}}
		d, err := NewDirectory(s, DirectoryOptions{Mapping: func() config.Identity { return m }})
		if err != nil {
			t.Fatal(err)
		}
		lu, err := d.Lookup(ctx, "mrs.smith")
		if err != nil || strings.Join(lu.Groups, ",") != "drake-house,staff,safeguarding" {
			t.Fatalf("lookup: %+v %v", lu, err)
		}
		recs, _ := s.ListAudit(ctx, AuditFilter{Action: "user.create"})
		if len(recs) != 1 || !strings.Contains(recs[0].After, `"roles":"teacher,dsl"`) {
			t.Fatalf("audit: %+v", recs)
		}
	})
}

// TestApproveForDevice approves a request from an unidentified device for
// that device: a client-address override.
func TestApproveForDevice(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		r, err := s.CreateRequest(ctx, Request{Client: "::ffff:10.20.0.7", Host: "game.example", Reason: "homework"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ApproveRequest(ctx, staff, r.ID, Approval{For: time.Hour, Reason: "ok"}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "unidentified device") {
			t.Fatalf("no scope: %v", err)
		}
		if _, _, err := s.ApproveRequest(ctx, staff, r.ID, Approval{For: time.Hour, Reason: "ok", Device: true, Group: "x"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("both scopes: %v", err)
		}
		_, o, err := s.ApproveRequest(ctx, staff, r.ID, Approval{For: time.Hour, Reason: "ok", Device: true})
		if err != nil {
			t.Fatal(err)
		}
		active, _ := s.ActiveOverrides(ctx, AllSites, clk.Now())
		if len(active) != 1 || active[0].Client.String() != "10.20.0.7" || active[0].User != "" || active[0].Target != "game.example" || active[0].ID != o.ID {
			t.Fatalf("overrides: %+v", active)
		}
		pr, err := s.CreateRequest(ctx, Request{User: "amy", Client: "10.20.0.8", Host: "game.example"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ApproveRequest(ctx, staff, pr.ID, Approval{For: time.Hour, Reason: "ok", Device: true}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("device for a user's request: %v", err)
		}
	})
}

// TestAuditOSUserDefault: a record whose actor names no OS account (a
// request from the block page) keeps the process's; one that does keeps
// its own.
func TestAuditOSUserDefault(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			opt := Options{SQLitePath: filepath.Join(t.TempDir(), "s.db"), OSUser: "schoolgate-svc"}
			if backend == "postgres" {
				opt = Options{PostgresDSN: PostgresTestDSN(t), OSUser: "schoolgate-svc"}
			}
			s := openTest(t, opt)
			if _, err := s.CreateRequest(ctx, Request{User: "amy", Client: "10.20.0.5", Host: "x.example"}); err != nil {
				t.Fatal(err)
			}
			if err := s.Audit(ctx, Actor{Name: "mrs.smith", OSUser: "itadmin"}, "policy.reload", "p", nil, nil); err != nil {
				t.Fatal(err)
			}
			recs, err := s.ListAudit(ctx, AuditFilter{})
			if err != nil || len(recs) != 2 || recs[0].OSUser != "schoolgate-svc" || recs[1].OSUser != "itadmin" {
				t.Fatalf("records: %+v %v", recs, err)
			}
			if res, err := s.VerifyAudit(ctx, ""); err != nil || !res.OK() {
				t.Fatalf("verify: %+v %v", res, err)
			}
		})
	}
}
