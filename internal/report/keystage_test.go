package report

import (
	"testing"

	"schoolgate/internal/identity"
)

func TestKeyStage(t *testing.T) {
	pupil := []identity.Role{identity.RolePupil}
	for _, c := range []struct {
		roles []identity.Role
		year  string
		want  int
	}{
		{pupil, "R", stageEarly},
		{pupil, "Y1", 1}, {pupil, "2", 1},
		{pupil, "3", 2}, {pupil, "Year 6", 2},
		{pupil, "y7", 3}, {pupil, "9", 3},
		{pupil, "10", 4}, {pupil, "Y11", 4},
		{pupil, "12", 5}, {pupil, "13", 5},
		{pupil, "", stageUnknown}, {pupil, "14", stageUnknown}, {pupil, "blue", stageUnknown}, {pupil, "0", stageUnknown},
		{[]identity.Role{identity.RoleVisitor}, "8", 3},
		{[]identity.Role{identity.RoleTeacher}, "", stageStaff},
		// A pupil who also holds a staff role (a wrong import) counts as staff.
		{[]identity.Role{identity.RolePupil, identity.RoleTeacher}, "8", stageStaff},
	} {
		if got := keyStage(c.roles, c.year); got != c.want {
			t.Errorf("keyStage(%v, %q) = %s, want %s", c.roles, c.year, stageLabels[got], stageLabels[c.want])
		}
	}
}
