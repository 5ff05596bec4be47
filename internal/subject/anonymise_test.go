package subject

import (
	"testing"

	"schoolgate/internal/identity"
)

func TestAnonymiser(t *testing.T) {
	a := newAnonymiser("ann.p", []identity.User{
		{Username: "ann.p", DisplayName: "Ann Pupil", Roles: []identity.Role{identity.RolePupil}},
		{Username: "bob.p", DisplayName: "Bob Brown", Roles: []identity.Role{identity.RolePupil}},
		{Username: "mr.teach", DisplayName: "Mr Teach", Roles: []identity.Role{identity.RoleTeacher}},
		{Username: "amy.dsl", DisplayName: "Amy Shah", Roles: []identity.Role{identity.RoleTeacher, identity.RoleDSL}},
	})
	for in, want := range map[string]string{
		"Bob Brown showed her the site; Mr Teach saw it.": "another pupil showed her the site; a member of staff saw it.",
		"bob.p and mr.teach,amy.dsl":                      "another pupil and a member of staff,a member of staff",
		"Ann Pupil said so":                               "Ann Pupil said so",
		"bobsleigh at the teachable moment":               "bobsleigh at the teachable moment",
		"AMY SHAH informed parents":                       "a member of staff informed parents",
	} {
		if got := a.clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"ann.p": "you", "bob.p": "another pupil", "amy.dsl": "a member of staff", "stranger": "another person"} {
		if got := a.name(in); got != want {
			t.Errorf("name(%q) = %q, want %q", in, got, want)
		}
	}
}
