package safeguarding

import (
	"slices"
	"strings"
	"testing"

	"schoolgate/internal/identity"
)

// TestPermissionTable walks every role × every capability against the
// table written out again here, so a change to either is a decision.
func TestPermissionTable(t *testing.T) {
	want := map[Capability]string{
		GrantPermission:        "teacher technical esafety-lead dsl",
		DecideRequests:         "technical esafety-lead dsl",
		Suspend:                "esafety-lead dsl slt",
		ViewNamedPupilActivity: "technical esafety-lead dsl",
		ViewNamedStaffActivity: "dsl slt",
		ReadConcerns:           "esafety-lead dsl",
		ManageAUA:              "technical esafety-lead dsl slt",
		ManagePeople:           "technical slt",
		ReadAudit:              "technical dsl slt",
		EndDeviceSignIn:        "technical esafety-lead dsl",
		ReadPolicy:             "staff teacher technical esafety-lead dsl slt governor",
		ViewCounts:             "staff teacher technical esafety-lead dsl slt governor",
		Dashboard:              "staff teacher technical esafety-lead dsl slt governor",

		RecordIncident:          "staff teacher technical esafety-lead dsl slt",
		ReadPupilIncidents:      "esafety-lead dsl slt",
		ReadStaffIncidents:      "dsl slt",
		Investigate:             "esafety-lead dsl slt",
		Sanction:                "esafety-lead dsl slt",
		RecordChecks:            "technical esafety-lead dsl slt",
		ReadChecks:              "technical esafety-lead dsl slt governor",
		GovernorsReport:         "esafety-lead dsl slt governor",
		SubjectAccess:           "dsl",
		ReadPupilAlerts:         "esafety-lead dsl",
		ReadStaffAlerts:         "dsl slt",
		ReadCircumventionAlerts: "technical",

		ReadNodes: "technical slt",
	}
	if len(want) != len(Capabilities()) {
		t.Fatalf("%d capabilities, %d in the expected table", len(Capabilities()), len(want))
	}
	for _, c := range Capabilities() {
		allowed := strings.Fields(want[c])
		for _, r := range identity.AllRoles() {
			exp := slices.Contains(allowed, string(r))
			if got := Can([]identity.Role{r}, c); got != exp {
				t.Errorf("Can(%s, %s) = %v, want %v", r, c, got, exp)
			}
		}
		if got := strings.Fields(strings.ReplaceAll(identity.JoinRoles(RolesWith(c)), ",", " ")); !slices.Equal(got, allowed) {
			t.Errorf("RolesWith(%s) = %v, want %v", c, got, allowed)
		}
		if Can(nil, c) {
			t.Errorf("no roles may %s", c)
		}
	}
	for _, r := range []identity.Role{identity.RolePupil, identity.RoleVisitor} {
		for _, c := range Capabilities() {
			if Can([]identity.Role{r}, c) {
				t.Errorf("a %s may %s", r, c)
			}
		}
	}
	// Several roles: the union.
	both := []identity.Role{identity.RoleTeacher, identity.RoleSLT}
	if !Can(both, GrantPermission) || !Can(both, Suspend) || Can(both, DecideRequests) {
		t.Error("teacher+slt: want grant and suspend, not decide requests")
	}
	if Can([]identity.Role{identity.RoleDSL}, Capability("launch-missiles")) || Can([]identity.Role{"wizard"}, Dashboard) {
		t.Error("unknown capabilities and roles must be denied")
	}
}

func TestForbiddenMessage(t *testing.T) {
	err := check(Actor{Username: "jsmith", Roles: []identity.Role{identity.RolePupil}}, GrantPermission)
	if err == nil || err.Error() != `"jsmith" (pupil) may not grant permission: that needs the teacher, technical, esafety-lead or dsl role` {
		t.Fatalf("message: %v", err)
	}
}
