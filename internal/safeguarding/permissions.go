package safeguarding

import (
	"slices"

	"schoolgate/internal/identity"
)

// Capability is something a person may be allowed to do.
type Capability string

// The capabilities. The first three are checked by this package's
// operations; the rest name the console's pages and actions so that it
// checks the same table.
const (
	GrantPermission        Capability = "grant-permission"          // grant a permission cell for a while
	DecideRequests         Capability = "decide-requests"           // approve or deny unblock requests
	Suspend                Capability = "suspend"                   // suspend access (a sanction)
	ViewNamedPupilActivity Capability = "view-named-pupil-activity" // a named pupil's activity log
	ViewNamedStaffActivity Capability = "view-named-staff-activity" // a named member of staff's activity log
	ReadConcerns           Capability = "read-concerns"             // concerns reported from the block page
	ManageAUA              Capability = "manage-aua"                // acceptable-use agreements
	ManagePeople           Capability = "manage-people"             // the user directory and roles
	ReadAudit              Capability = "read-audit"                // the audit trail
	EndDeviceSignIn        Capability = "end-device-sign-in"        // sign a person out of a device
	ReadPolicy             Capability = "read-policy"               // the filtering policy
	ViewCounts             Capability = "view-counts"               // anonymous counts (governors' reports)
	Dashboard              Capability = "dashboard"                 // the console's front page

	// Safeguarding records (issue 11's matrix). Reading incidents one
	// reported is not a capability: the records' own rule allows it.
	RecordIncident     Capability = "record-incident"      // record an incident
	ReadPupilIncidents Capability = "read-pupil-incidents" // every incident about pupils
	ReadStaffIncidents Capability = "read-staff-incidents" // every incident about staff
	Investigate        Capability = "investigate"          // Appendix G investigations (esafety-lead: pupils only)
	Sanction           Capability = "sanction"             // record sanctions, including removal of access
	RecordChecks       Capability = "record-checks"        // record filtering checks and reviews
	ReadChecks         Capability = "read-checks"          // read filtering checks and reviews
	GovernorsReport    Capability = "governors-report"     // the anonymised termly report
	SubjectAccess      Capability = "subject-access"       // subject-access exports

	// Monitoring alerts (issue 12).
	ReadPupilAlerts         Capability = "read-pupil-alerts"         // alerts about pupils, with names
	ReadStaffAlerts         Capability = "read-staff-alerts"         // alerts about staff
	ReadCircumventionAlerts Capability = "read-circumvention-alerts" // circumvention alerts (technical)

	// Policy versions in the database (issue 14).
	RollbackPolicy Capability = "rollback-policy" // store an earlier policy version as the newest
	// Trusts (issue 14).
	TrustDashboard Capability = "trust-dashboard" // every school at a glance (the trust's staff)
	// Trusts (issue 14).
	ReadNodes Capability = "read-nodes" // the serve nodes' heartbeats
)

// Capabilities is every capability, in order (a new slice each call).
func Capabilities() []Capability {
	return []Capability{GrantPermission, DecideRequests, Suspend, ViewNamedPupilActivity, ViewNamedStaffActivity,
		ReadConcerns, ManageAUA, ManagePeople, ReadAudit, EndDeviceSignIn, ReadPolicy, ViewCounts, Dashboard,
		RecordIncident, ReadPupilIncidents, ReadStaffIncidents, Investigate, Sanction, RecordChecks, ReadChecks,
		GovernorsReport, SubjectAccess, ReadPupilAlerts, ReadStaffAlerts, ReadCircumventionAlerts, RollbackPolicy,
		TrustDashboard, ReadNodes}
}

const (
	staff     = identity.RoleStaff
	teacher   = identity.RoleTeacher
	technical = identity.RoleTechnical
	esafety   = identity.RoleESafetyLead
	dsl       = identity.RoleDSL
	slt       = identity.RoleSLT
	governor  = identity.RoleGovernor
)

// permissions is the whole table (issue 10's matrix; staff has the
// teacher's column without grants): each capability and the roles that
// have it. What is not here is denied; pupils and visitors have nothing.
var permissions = map[Capability][]identity.Role{
	GrantPermission:        {teacher, technical, esafety, dsl},
	DecideRequests:         {technical, esafety, dsl},
	Suspend:                {esafety, dsl, slt},
	ViewNamedPupilActivity: {technical, esafety, dsl},
	ViewNamedStaffActivity: {dsl, slt},
	ReadConcerns:           {esafety, dsl},
	ManageAUA:              {technical, esafety, dsl, slt},
	ManagePeople:           {technical, slt},
	ReadAudit:              {technical, dsl, slt},
	EndDeviceSignIn:        {technical, esafety, dsl},
	ReadPolicy:             {staff, teacher, technical, esafety, dsl, slt, governor},
	ViewCounts:             {staff, teacher, technical, esafety, dsl, slt, governor},
	Dashboard:              {staff, teacher, technical, esafety, dsl, slt, governor},

	RecordIncident:     {staff, teacher, technical, esafety, dsl, slt},
	ReadPupilIncidents: {esafety, dsl, slt},
	ReadStaffIncidents: {dsl, slt},
	Investigate:        {esafety, dsl, slt},
	Sanction:           {esafety, dsl, slt},
	RecordChecks:       {technical, esafety, dsl, slt},
	ReadChecks:         {technical, esafety, dsl, slt, governor},
	GovernorsReport:    {esafety, dsl, slt, governor},
	SubjectAccess:      {dsl},

	ReadPupilAlerts:         {esafety, dsl},
	ReadStaffAlerts:         {dsl, slt},
	ReadCircumventionAlerts: {technical},

	RollbackPolicy: {technical},
	TrustDashboard: {identity.RoleTrustDSL, identity.RoleTrustTechnical, identity.RoleTrustSLT},
	ReadNodes:      {technical, slt},
}

// Can reports whether any of roles has the capability. Unknown
// capabilities and roles are denied. A trust role has its school role's
// capabilities (trust-dsl those of dsl), at every school: the actor's
// site scope, not this table, decides where.
func Can(roles []identity.Role, c Capability) bool {
	allowed := permissions[c]
	for _, r := range roles {
		if slices.Contains(allowed, r) || slices.Contains(allowed, r.SchoolRole()) {
			return true
		}
	}
	return false
}

// RolesWith lists a school's roles that have the capability, in the fixed
// order (for messages: each trust role has its school role's).
func RolesWith(c Capability) []identity.Role {
	return identity.SortRoles(slices.Clone(permissions[c]))
}

// Describe is the capability in words, for messages.
func (c Capability) Describe() string {
	switch c {
	case GrantPermission:
		return "grant permission"
	case DecideRequests:
		return "decide unblock requests"
	case Suspend:
		return "suspend access"
	}
	return string(c)
}

// check refuses an actor without the capability.
func check(a Actor, c Capability) error {
	if !Can(a.Roles, c) {
		return &ForbiddenError{Actor: a, Capability: c}
	}
	return nil
}
