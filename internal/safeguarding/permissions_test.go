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
		GrantPermission:        "teacher technical esafety-lead dsl trust-dsl trust-technical",
		DecideRequests:         "technical esafety-lead dsl trust-dsl trust-technical",
		Suspend:                "esafety-lead dsl slt trust-dsl trust-slt",
		ViewNamedPupilActivity: "technical esafety-lead dsl trust-dsl trust-technical",
		ViewNamedStaffActivity: "dsl slt trust-dsl trust-slt",
		ReadConcerns:           "esafety-lead dsl trust-dsl",
		ManageAUA:              "technical esafety-lead dsl slt trust-dsl trust-technical trust-slt",
		ManagePeople:           "technical slt trust-technical trust-slt",
		ReadAudit:              "technical dsl slt trust-dsl trust-technical trust-slt",
		EndDeviceSignIn:        "technical esafety-lead dsl trust-dsl trust-technical",
		ReadPolicy:             "staff teacher technical esafety-lead dsl slt governor trust-dsl trust-technical trust-slt",
		ViewCounts:             "staff teacher technical esafety-lead dsl slt governor trust-dsl trust-technical trust-slt",
		Dashboard:              "staff teacher technical esafety-lead dsl slt governor trust-dsl trust-technical trust-slt",

		RecordIncident:          "staff teacher technical esafety-lead dsl slt trust-dsl trust-technical trust-slt",
		ReadPupilIncidents:      "esafety-lead dsl slt trust-dsl trust-slt",
		ReadStaffIncidents:      "dsl slt trust-dsl trust-slt",
		Investigate:             "esafety-lead dsl slt trust-dsl trust-slt",
		Sanction:                "esafety-lead dsl slt trust-dsl trust-slt",
		RecordChecks:            "technical esafety-lead dsl slt trust-dsl trust-technical trust-slt",
		ReadChecks:              "technical esafety-lead dsl slt governor trust-dsl trust-technical trust-slt",
		GovernorsReport:         "esafety-lead dsl slt governor trust-dsl trust-slt",
		SubjectAccess:           "dsl trust-dsl",
		ReadPupilAlerts:         "esafety-lead dsl trust-dsl",
		ReadStaffAlerts:         "dsl slt trust-dsl trust-slt",
		ReadCircumventionAlerts: "technical trust-technical",
		RollbackPolicy:          "technical trust-technical",
		TrustDashboard:          "trust-dsl trust-technical trust-slt",
		ReadNodes:               "technical slt trust-technical trust-slt",
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
		school := slices.DeleteFunc(slices.Clone(allowed), func(r string) bool { return identity.Role(r).Trust() && c != TrustDashboard })
		if got := strings.Fields(strings.ReplaceAll(identity.JoinRoles(RolesWith(c)), ",", " ")); !slices.Equal(got, school) {
			t.Errorf("RolesWith(%s) = %v, want %v", c, got, school)
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
