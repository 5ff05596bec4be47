package safeguarding

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
	"schoolgate/internal/store/storetest"
)

const testPolicy = `site: {name: Test School}
categories:
  illegal: {illegal: true, sources: [{path: illegal.txt, format: domains}]}
  social-media: {sources: [{path: social.txt, format: domains}]}
  games: {sources: [{path: games.txt, format: domains}]}
  adult: {locked: true, sources: [{path: adult.txt, format: domains}]}
groups:
  listed: {users: [guest.speaker]}
  staff: {networks: [10.10.0.0/16]}
  pupils-ks2: {networks: [10.20.0.0/16]}
  visitors: {networks: [10.99.0.0/16]}
default_group: visitors
rules:
  illegal: {others: block}
  social-media: {staff: allow, pupils-ks2: permission, listed: permission, others: block}
  games: {others: block}
  adult: {staff: allow, others: block}
default: {others: allow}
identity:
  year_groups: {"5": pupils-ks2}
  roles: {teacher: staff, technical: staff, dsl: staff, esafety-lead: staff, slt: staff}
`

// fixture is a real store (SQLite or PostgreSQL), its directory and a
// compiled policy, with one person per role.
type fixture struct {
	st   *store.Store
	svc  *Service
	snap *policy.Snapshot
	dir  *store.Directory
	now  time.Time
}

func newFixture(t *testing.T, backend string) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"policy.yaml": testPolicy,
		"illegal.txt": "abuse.example\n",
		"social.txt":  "social.example\n",
		"games.txt":   "games.example\n",
		"adult.txt":   "adult.example\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := policy.Compile(cfg, policy.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	opt := store.Options{SQLitePath: filepath.Join(dir, "schoolgate.db")}
	if backend == "postgres" {
		opt = store.Options{PostgresDSN: storetest.PostgresDSN(t)}
	}
	st, err := store.Open(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	admin := store.Actor{Name: "office"}
	for _, u := range []identity.User{
		{Username: "jsmith", Roles: []identity.Role{identity.RolePupil}, YearGroup: "5"},
		{Username: "amy", Roles: []identity.Role{identity.RolePupil}, YearGroup: "5"},
		{Username: "mr.teach", Roles: []identity.Role{identity.RoleTeacher}},
		{Username: "tech", Roles: []identity.Role{identity.RoleTechnical}},
		{Username: "head", Roles: []identity.Role{identity.RoleSLT}},
		{Username: "ms.dsl", Roles: []identity.Role{identity.RoleTeacher, identity.RoleDSL}},
		{Username: "gone", Roles: []identity.Role{identity.RoleDSL}, Disabled: true},
	} {
		if err := st.CreateUser(ctx, admin, u, ""); err != nil {
			t.Fatal(err)
		}
		if u.Disabled {
			if err := st.SetDisabled(ctx, admin, u.Username, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	d, err := store.NewDirectory(st, store.DirectoryOptions{Mapping: func() config.Identity { return cfg.Identity }})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	return &fixture{st: st, snap: snap, now: now, dir: d,
		svc: New(Options{Store: st, Directory: d, Snapshot: func() *policy.Snapshot { return snap }, Now: func() time.Time { return now }})}
}

func (f *fixture) actor(t *testing.T, name string) Actor {
	t.Helper()
	a, err := f.svc.ResolveActor(context.Background(), name, "itadmin", "cli@test")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// decide is what the running engine would answer an unidentified device
// (or, with user, that user) with the stored live overrides.
func (f *fixture) decide(t *testing.T, host, client string) policy.Verdict {
	t.Helper()
	list, err := f.st.ActiveOverrides(context.Background(), store.AllSites, f.now)
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr(client)
	d := f.snap.Decide(&policy.Query{Host: host, Client: addr, Groups: f.snap.GroupsForIP(addr), At: f.now, Overrides: policy.NewOverrides(list)})
	return d.Verdict
}

func backends(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) { fn(t, newFixture(t, b)) })
	}
}

func TestResolveActor(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		for _, name := range []string{"nobody", "gone", ""} {
			if _, err := f.svc.ResolveActor(ctx, name, "itadmin", ""); !errors.Is(err, ErrUnknownActor) {
				t.Errorf("%q: %v, want ErrUnknownActor", name, err)
			}
		}
		a := f.actor(t, "ms.dsl")
		if identity.JoinRoles(a.Roles) != "teacher,dsl" || a.OSUser != "itadmin" {
			t.Fatalf("actor: %+v", a)
		}
	})
}

func TestGrants(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		g := Grant{To: "amy", Category: "social-media", For: 45 * time.Minute, Reason: "RE project"}
		var fe *ForbiddenError
		if _, err := f.svc.CreateGrant(ctx, f.actor(t, "jsmith"), g); !errors.As(err, &fe) || !errors.Is(err, ErrForbidden) || fe.Capability != GrantPermission {
			t.Fatalf("pupil: %v", err)
		}
		if _, err := f.svc.CreateGrant(ctx, f.actor(t, "head"), g); !errors.Is(err, ErrForbidden) {
			t.Fatalf("slt may not grant: %v", err)
		}
		teacher := f.actor(t, "mr.teach")
		o, err := f.svc.CreateGrant(ctx, teacher, g)
		if err != nil {
			t.Fatal(err)
		}
		if o.User != "amy" || o.Kind != store.KindGrant || o.Verdict != policy.Allow || o.By != "mr.teach" {
			t.Fatalf("override: %+v", o)
		}
		recs, _ := f.st.ListAudit(ctx, store.AuditFilter{Action: "override.create"})
		if len(recs) != 1 || recs[0].Actor != "mr.teach" || recs[0].Roles != "teacher" || recs[0].OSUser != "itadmin" {
			t.Fatalf("audit: %+v", recs)
		}
		for _, c := range []struct {
			g    Grant
			want error
		}{
			{Grant{To: "amy", Category: "illegal", For: time.Hour, Reason: "x"}, ErrIllegal},
			{Grant{To: "amy", Target: "www.abuse.example/page", For: time.Hour, Reason: "x"}, ErrIllegal},
			{Grant{To: "nobody", Category: "games", For: time.Hour, Reason: "x"}, ErrUnknownGrantee},
			{Grant{To: "amy", All: true, For: time.Hour, Reason: "x"}, ErrNotApplicable},
			{Grant{To: "amy", Category: "nosuch", For: time.Hour, Reason: "x"}, ErrInvalid},
			{Grant{To: "amy", Category: "games", For: time.Hour}, ErrInvalid},
			{Grant{To: "amy", Category: "games", Target: "x.example", For: time.Hour, Reason: "x"}, ErrInvalid},
			// A grant opens only a cell that says permission (or warn):
			// games is block for everyone but staff.
			{Grant{To: "amy", Category: "games", For: time.Hour, Reason: "x"}, ErrNotApplicable},
			{Grant{To: "pupils-ks2", Target: "games.example", For: time.Hour, Reason: "x"}, ErrNotApplicable},
			{Grant{To: "guest.speaker", Category: "games", For: time.Hour, Reason: "x"}, ErrNotApplicable},
		} {
			if _, err := f.svc.CreateGrant(ctx, teacher, c.g); !errors.Is(err, c.want) {
				t.Errorf("%+v: %v, want %v", c.g, err, c.want)
			}
		}
		if o, err := f.svc.CreateGrant(ctx, teacher, Grant{To: "Amy", Category: "social-media", For: time.Hour, Reason: "x"}); err != nil || o.User != "amy" {
			t.Fatalf("a username in capitals: %+v %v", o, err)
		}
		// A group, and a user named only in the policy's users: lists.
		if o, err := f.svc.CreateGrant(ctx, teacher, Grant{To: "pupils-ks2", Target: "social.example", For: time.Hour, Reason: "x"}); err != nil || o.Group != "pupils-ks2" {
			t.Fatalf("group grant: %+v %v", o, err)
		}
		if o, err := f.svc.CreateGrant(ctx, teacher, Grant{To: "guest.speaker", Category: "social-media", For: time.Hour, Reason: "x"}); err != nil || o.User != "guest.speaker" {
			t.Fatalf("policy-listed user: %+v %v", o, err)
		}
		// Blocking an illegal category is not allowing it.
		if _, err := f.svc.CreateGrant(ctx, teacher, Grant{To: "amy", Category: "illegal", Block: true, For: time.Hour, Reason: "x"}); err != nil {
			t.Fatalf("block illegal: %v", err)
		}
		// Revoking: a grant needs GrantPermission.
		if err := f.svc.RevokeOverride(ctx, f.actor(t, "jsmith"), o.ID, "done"); !errors.Is(err, ErrForbidden) {
			t.Fatalf("pupil revoke: %v", err)
		}
		if err := f.svc.RevokeOverride(ctx, teacher, o.ID, "done"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSuspend(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		s := Grant{To: "jsmith", All: true, For: 24 * time.Hour, Reason: "misuse"}
		if _, err := f.svc.Suspend(ctx, f.actor(t, "mr.teach"), s); !errors.Is(err, ErrForbidden) {
			t.Fatalf("teacher suspend: %v", err)
		}
		if _, err := f.svc.Suspend(ctx, f.actor(t, "tech"), s); !errors.Is(err, ErrForbidden) {
			t.Fatalf("technical suspend: %v", err)
		}
		o, err := f.svc.Suspend(ctx, f.actor(t, "head"), s)
		if err != nil {
			t.Fatal(err)
		}
		if o.Kind != store.KindSuspension || o.Verdict != policy.Block || o.User != "jsmith" {
			t.Fatalf("suspension: %+v", o)
		}
		if _, err := f.svc.Suspend(ctx, f.actor(t, "head"), Grant{To: "nobody", All: true, For: time.Hour, Reason: "x"}); !errors.Is(err, ErrUnknownGrantee) {
			t.Fatalf("suspending nobody: %v", err)
		}
		if err := f.svc.RevokeOverride(ctx, f.actor(t, "mr.teach"), o.ID, "appeal"); !errors.Is(err, ErrForbidden) {
			t.Fatalf("teacher lifts a suspension: %v", err)
		}
		if err := f.svc.RevokeOverride(ctx, f.actor(t, "ms.dsl"), o.ID, "appeal"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRequests(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		mk := func(r store.Request) int64 {
			t.Helper()
			r, err := f.st.CreateRequest(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
		ap := Approval{For: time.Hour, Reason: "project"}
		byUser := mk(store.Request{User: "amy", Client: "10.20.0.5", Host: "games.example", Categories: []string{"games"}})
		if _, _, err := f.svc.ApproveRequest(ctx, f.actor(t, "mr.teach"), byUser, ap); !errors.Is(err, ErrForbidden) {
			t.Fatalf("teacher approves: %v", err)
		}
		if _, err := f.svc.DenyRequest(ctx, f.actor(t, "jsmith"), byUser, "no"); !errors.Is(err, ErrForbidden) {
			t.Fatalf("pupil denies: %v", err)
		}
		r, o, err := f.svc.ApproveRequest(ctx, f.actor(t, "tech"), byUser, ap)
		if err != nil || r.Status != store.StatusApproved || o.User != "amy" || o.Target != "games.example" || r.DecidedBy != "tech" {
			t.Fatalf("approve: %+v %+v %v", r, o, err)
		}

		// An approved request opens a block cell, but never a locked
		// category: not for the pupil, not for their group.
		locked := mk(store.Request{User: "amy", Client: "10.20.0.5", Host: "adult.example", Categories: []string{"adult"}})
		for _, ap := range []Approval{ap, {For: time.Hour, Reason: "project", Scope: ScopeGroup, Group: "pupils-ks2"}} {
			if _, _, err := f.svc.ApproveRequest(ctx, f.actor(t, "ms.dsl"), locked, ap); !errors.Is(err, ErrNotApplicable) || !strings.Contains(err.Error(), "locked") {
				t.Fatalf("locked category approved (%+v): %v", ap, err)
			}
		}

		// The stored categories are the block page's; the policy in force
		// decides what is illegal.
		abuse := mk(store.Request{User: "amy", Client: "10.20.0.5", Host: "abuse.example"})
		if _, _, err := f.svc.ApproveRequest(ctx, f.actor(t, "ms.dsl"), abuse, ap); !errors.Is(err, ErrIllegal) {
			t.Fatalf("illegal: %v", err)
		}
		if r, err := f.svc.DenyRequest(ctx, f.actor(t, "ms.dsl"), abuse, "never"); err != nil || r.Status != store.StatusDenied {
			t.Fatalf("deny: %+v %v", r, err)
		}

		// An unidentified device: for the device itself...
		device := mk(store.Request{Client: "10.99.0.7", Host: "games.example", Categories: []string{"games"}})
		if _, _, err := f.svc.ApproveRequest(ctx, f.actor(t, "tech"), device, ap); !errors.Is(err, ErrNotApplicable) {
			t.Fatalf("no scope for a device: %v", err)
		}
		if v := f.decide(t, "games.example", "10.99.0.7"); v != policy.Block {
			t.Fatalf("before approval: %s", v)
		}
		_, o, err = f.svc.ApproveRequest(ctx, f.actor(t, "tech"), device, Approval{For: time.Hour, Reason: "ok", Scope: ScopeDevice})
		if err != nil || o.Client != netip.MustParseAddr("10.99.0.7") {
			t.Fatalf("device approval: %+v %v", o, err)
		}
		if v := f.decide(t, "games.example", "10.99.0.7"); v != policy.Allow {
			t.Fatalf("device after approval: %s", v)
		}
		if v := f.decide(t, "games.example", "10.99.0.8"); v != policy.Block {
			t.Fatalf("another device: %s", v)
		}
		// ...or for the group its network maps to.
		net := mk(store.Request{Client: "10.20.0.9", Host: "social.example", Categories: []string{"social-media"}})
		_, o, err = f.svc.ApproveRequest(ctx, f.actor(t, "ms.dsl"), net, Approval{For: time.Hour, Reason: "ok", Scope: ScopeNetworkGroup})
		if err != nil || o.Group != "pupils-ks2" {
			t.Fatalf("network group: %+v %v", o, err)
		}
		if v := f.decide(t, "social.example", "10.20.0.200"); v != policy.Allow {
			t.Fatalf("network group after approval: %s", v)
		}
		outside := mk(store.Request{Client: "192.168.1.4", Host: "games.example"})
		if _, _, err := f.svc.ApproveRequest(ctx, f.actor(t, "tech"), outside, Approval{For: time.Hour, Reason: "ok", Scope: ScopeNetworkGroup}); !errors.Is(err, ErrNotApplicable) || !strings.Contains(err.Error(), "192.168.1.4") {
			t.Fatalf("no network group: %v", err)
		}
		if _, _, err := f.svc.ApproveRequest(ctx, f.actor(t, "tech"), outside, Approval{For: time.Hour, Reason: "ok", Scope: ScopeGroup, Group: "nosuch"}); !errors.Is(err, ErrUnknownGrantee) {
			t.Fatalf("unknown group: %v", err)
		}
		res, err := f.st.VerifyAudit(ctx, "")
		if err != nil || !res.OK() {
			t.Fatalf("audit: %+v %v", res, err)
		}
		recs, _ := f.st.ListAudit(ctx, store.AuditFilter{Action: "request.approve"})
		for _, r := range recs {
			if r.OSUser != "itadmin" || r.Roles == "" {
				t.Fatalf("approval audit without roles or OS user: %+v", r)
			}
		}
	})
}

// TestNoPolicyRefuses: without a policy to check against, nothing is
// granted or approved.
func TestNoPolicyRefuses(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := context.Background()
	teacher, tech := f.actor(t, "mr.teach"), f.actor(t, "tech")
	f.svc.snap = func() *policy.Snapshot { return nil }
	if _, err := f.svc.CreateGrant(ctx, teacher, Grant{To: "amy", Category: "games", For: time.Hour, Reason: "x"}); !errors.Is(err, ErrNoPolicy) {
		t.Fatalf("grant without a policy: %v", err)
	}
	r, err := f.st.CreateRequest(ctx, store.Request{User: "amy", Client: "10.20.0.5", Host: "games.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.ApproveRequest(ctx, tech, r.ID, Approval{For: time.Hour, Reason: "x"}); !errors.Is(err, ErrNoPolicy) {
		t.Fatalf("approval without a policy: %v", err)
	}
	if list, _ := f.st.ActiveOverrides(ctx, store.AllSites, f.now); len(list) != 0 {
		t.Fatalf("overrides made: %+v", list)
	}
}
