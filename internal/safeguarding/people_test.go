package safeguarding

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

var (
	rTeacher = []identity.Role{identity.RoleTeacher}
	rDSL     = []identity.Role{identity.RoleTeacher, identity.RoleDSL}
)

// TestCheckRoles is the rule table: only slt gives or removes dsl,
// esafety-lead and slt; nobody changes their own roles; a role without
// manage-people does nothing.
func TestCheckRoles(t *testing.T) {
	tech := Actor{Username: "tech", Roles: []identity.Role{identity.RoleTechnical}}
	head := Actor{Username: "head", Roles: []identity.Role{identity.RoleSLT}}
	dsl := Actor{Username: "ms.dsl", Roles: rDSL}
	for _, c := range []struct {
		a             Actor
		user          string
		before, after []identity.Role
		want          error
	}{
		{tech, "new", nil, rTeacher, nil},
		{tech, "mr.teach", rTeacher, []identity.Role{identity.RoleTeacher, identity.RoleTechnical}, nil},
		{tech, "mr.teach", rTeacher, rDSL, ErrSLTOnly},
		{tech, "ms.dsl", rDSL, rTeacher, ErrSLTOnly},
		{tech, "new", nil, []identity.Role{identity.RoleESafetyLead}, ErrSLTOnly},
		{tech, "new", nil, []identity.Role{identity.RoleSLT}, ErrSLTOnly},
		{tech, "tech", []identity.Role{identity.RoleTechnical}, []identity.Role{identity.RoleTechnical, identity.RoleTeacher}, ErrOwnAccount},
		{tech, "ms.dsl", rDSL, []identity.Role{identity.RoleDSL, identity.RoleTeacher, identity.RoleGovernor}, nil},
		{head, "mr.teach", rTeacher, rDSL, nil},
		{head, "new", nil, []identity.Role{identity.RoleSLT}, nil},
		{head, "HEAD", []identity.Role{identity.RoleSLT}, rTeacher, ErrOwnAccount},
		{head, "head", []identity.Role{identity.RoleSLT}, []identity.Role{identity.RoleSLT}, nil},
		{dsl, "mr.teach", rTeacher, rDSL, ErrForbidden},
	} {
		err := CheckRoles(c.a, c.user, c.before, c.after)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %s %v → %v: %v, want %v", c.a.Username, c.user, c.before, c.after, err, c.want)
		}
	}
}

// TestPeople runs the operations against both databases: the rules are
// enforced, a refused change leaves the person as they were, disabling
// is recorded, a reset password works once shown, and an import that
// gives a safeguarding role is refused whole for a technician.
func TestPeople(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		p := NewPeople(f.st, identity.HashParams{Time: 1, MemKiB: 1024, Threads: 1})
		tech, head := f.actor(t, "tech"), f.actor(t, "head")
		if err := p.SetRoles(ctx, tech, "mr.teach", rDSL); !errors.Is(err, ErrSLTOnly) {
			t.Errorf("technician gives dsl: %v", err)
		}
		if u, _ := f.st.GetUser(ctx, "mr.teach"); identity.JoinRoles(u.Roles) != "teacher" {
			t.Errorf("refused change applied: %v", u.Roles)
		}
		if err := p.SetRoles(ctx, head, "mr.teach", rDSL); err != nil {
			t.Fatal(err)
		}
		if err := p.SetRoles(ctx, head, "head", rTeacher); !errors.Is(err, ErrOwnAccount) {
			t.Errorf("own roles: %v", err)
		}
		if err := p.SetDisabled(ctx, tech, "mr.teach", true); !errors.Is(err, ErrSLTOnly) {
			t.Errorf("technician disables a dsl: %v", err)
		}
		if err := p.SetDisabled(ctx, tech, "tech", true); !errors.Is(err, ErrOwnAccount) {
			t.Errorf("disable self: %v", err)
		}
		if err := p.SetDisabled(ctx, tech, "amy", true); err != nil {
			t.Fatal(err)
		}
		if u, _ := f.st.GetUser(ctx, "amy"); !u.Disabled {
			t.Error("amy not disabled")
		}
		pw, err := p.ResetPassword(ctx, tech, "jsmith")
		if err != nil || len(pw) != 19 {
			t.Fatalf("reset: %q %v", pw, err)
		}
		if _, err := f.svc.dir.(*store.Directory).Authenticate(ctx, "jsmith", pw, netip.MustParseAddr("10.20.0.5")); err != nil {
			t.Errorf("the new password does not sign in: %v", err)
		}
		if _, err := p.ResetPassword(ctx, f.actor(t, "mr.teach"), "jsmith"); !errors.Is(err, ErrForbidden) {
			t.Errorf("a teacher resets a password: %v", err)
		}
		csv := "username,display_name,role\nnewbie,New Teacher,teacher\nsneaky,Sneaky,slt\n"
		file, err := identity.ParseUsersCSV(strings.NewReader(csv), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Import(ctx, tech, file); err == nil || !strings.Contains(err.Error(), "line 3") {
			t.Errorf("import giving slt: %v", err)
		}
		if _, err := f.st.GetUser(ctx, "newbie"); err == nil {
			t.Error("a refused import added a row")
		}
		sum, err := p.Import(ctx, head, file)
		if err != nil || sum.Added != 2 {
			t.Errorf("slt import: %+v %v", sum, err)
		}
	})
}
