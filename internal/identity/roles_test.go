package identity

import (
	"errors"
	"strings"
	"testing"

	"schoolgate/internal/config"
)

func TestParseRoles(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"teacher;dsl", "teacher,dsl"},
		{"DSL, Teacher", "teacher,dsl"},
		{"slt;headteacher;SLT", "slt"},
		{" pupil ", "pupil"},
		{"governor", "governor"},
		{"staff,visitor", "visitor,staff"},
		{"esafety-lead;technical;;", "technical,esafety-lead"},
		{"student", "pupil"},
	} {
		got, err := ParseRoles(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if JoinRoles(got) != c.want {
			t.Errorf("%q = %q, want %q", c.in, JoinRoles(got), c.want)
		}
	}
	_, err := ParseRoles("teacher;wizard")
	if !errors.Is(err, ErrUnknownRole) || !strings.Contains(err.Error(), `"wizard"`) || !strings.Contains(err.Error(), "esafety-lead") {
		t.Fatalf("unknown role: %v", err)
	}
}

func TestParseStoredRoles(t *testing.T) {
	roles, unknown := ParseStoredRoles("librarian,Staff;dsl")
	if JoinRoles(roles) != "staff,dsl" || strings.Join(unknown, ",") != "librarian" {
		t.Fatalf("roles %v unknown %v", roles, unknown)
	}
}

func TestResolveGroupsSeveralRoles(t *testing.T) {
	m := config.Identity{YearGroups: map[string]string{"5": "pupils-ks2"},
		Roles: map[string]string{"staff": "staff", "Teacher": "teachers", "headteacher": "leaders"}}
	got := ResolveGroups([]string{"robotics", "staff"}, "", []Role{RoleStaff, RoleTeacher, RoleSLT}, m)
	if strings.Join(got, ",") != "robotics,staff,teachers,leaders" {
		t.Fatalf("groups = %v", got)
	}
	known := func(g string) bool { return g != "robotics" }
	if got := PolicyGroups(got, known); strings.Join(got, ",") != "staff,teachers,leaders" {
		t.Fatalf("policy groups = %v", got)
	}
	if err := CheckMapping(m, known); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []config.Identity{
		{Roles: map[string]string{"wizard": "staff"}},
		{Roles: map[string]string{"slt": "staff", "headteacher": "staff"}},
		{Roles: map[string]string{"staff": "robotics"}},
		{YearGroups: map[string]string{"5": "robotics"}},
	} {
		if err := CheckMapping(bad, known); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestUnplaced(t *testing.T) {
	m := config.Identity{YearGroups: map[string]string{"5": "pupils-ks2"}, Roles: map[string]string{"staff": "staff"}}
	known := func(g string) bool { return g == "pupils-ks2" || g == "staff" }
	for _, c := range []struct {
		u    User
		want bool
	}{
		{User{Roles: []Role{RolePupil}, YearGroup: "5"}, false},
		{User{Roles: []Role{RolePupil}, YearGroup: "12", Groups: []string{"7B", "Drake house"}}, true},
		{User{YearGroup: "9"}, true},
		{User{Roles: []Role{RoleTeacher}}, false}, // not a pupil
		{User{Roles: []Role{RolePupil}, Groups: []string{"staff"}}, false},
	} {
		if got := Unplaced(&c.u, m, known); got != c.want {
			t.Errorf("%+v: unplaced %v, want %v", c.u, got, c.want)
		}
	}
}

func TestRoleOrder(t *testing.T) {
	all := AllRoles()
	if len(all) != numRoles {
		t.Fatalf("%d roles, numRoles %d", len(all), numRoles)
	}
	for i, r := range all {
		if roleIndex(r) != i {
			t.Errorf("roleIndex(%s) = %d, want %d", r, roleIndex(r), i)
		}
	}
}

func FuzzParseRoles(f *testing.F) {
	for _, s := range []string{"teacher;dsl", "DSL, Teacher", "headteacher", ";;,", "pupil,wizard", "slt;slt;SLT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := ParseRoles(s)
		if err != nil {
			return
		}
		for _, r := range rs {
			if roleIndex(r) >= numRoles {
				t.Fatalf("%q gave unknown role %q", s, r)
			}
		}
		again, err := ParseRoles(JoinRoles(rs))
		if err != nil || JoinRoles(again) != JoinRoles(rs) {
			t.Fatalf("%q: %v does not round-trip: %v %v", s, rs, again, err)
		}
	})
}
