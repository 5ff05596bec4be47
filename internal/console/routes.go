package console

import (
	"net/http"

	"schoolgate/internal/safeguarding"
)

// route is one line of the table: a method and pattern, what it needs,
// and its handler.
type route struct {
	pattern string
	need    access
	handle  handler
}

// handler serves one route; v is the signed-in visit (nil on a public
// route without a session).
type handler func(w http.ResponseWriter, r *http.Request, v *visit)

// seeAlerts opens the alert routes to every role that reads some alerts
// (the domain then keeps each to its own: pupils', staff, circumvention).
var seeAlerts = needAny(safeguarding.ReadPupilAlerts, safeguarding.ReadStaffAlerts, safeguarding.ReadCircumventionAlerts)

// routes is every route of the console. A new page is one line here and
// one handler file.
func (c *Console) routes() []route {
	return []route{
		{"GET /static/{file}", public(), c.static},
		{"GET /login", public(), c.loginShow},
		{"POST /login", public(), c.loginCheck},
		{"GET /login/oidc/{provider}", public(), c.oidcStart},
		{"GET /login/oidc/{provider}/callback", public(), c.oidcCallback},
		{"GET /setup", public(), c.setupShow},
		{"POST /setup", public(), c.setupCheck},

		{"GET /totp", password(), c.totpShow},
		{"POST /totp", password(), c.totpCheck},
		{"GET /totp/enrol", password(), c.enrolShow},
		{"POST /totp/enrol", password(), c.enrolCheck},
		{"POST /logout", password(), c.logout},
		{"POST /logout/everywhere", signedIn(), c.logoutEverywhere},

		{"GET /{$}", need(safeguarding.Dashboard), c.dashboard},
		{"GET /trust", need(safeguarding.TrustDashboard), c.trustShow},
		{"GET /requests", need(safeguarding.DecideRequests), c.requestsShow},
		{"POST /requests/{id}/approve", need(safeguarding.DecideRequests), c.requestApprove},
		{"POST /requests/{id}/deny", need(safeguarding.DecideRequests), c.requestDeny},
		{"GET /grants", need(safeguarding.GrantPermission), c.grantsShow},
		{"POST /grants", need(safeguarding.GrantPermission), c.grantCreate},
		{"POST /grants/{id}/revoke", need(safeguarding.GrantPermission), c.grantRevoke},
		{"GET /activity", needEither(safeguarding.ViewNamedPupilActivity, safeguarding.ViewNamedStaffActivity), c.activityShow},
		{"GET /activity.csv", needEither(safeguarding.ViewNamedPupilActivity, safeguarding.ViewNamedStaffActivity), c.activityCSV},
		{"GET /people/{username}/chronology", needEither(safeguarding.ViewNamedPupilActivity, safeguarding.ViewNamedStaffActivity), c.chronologyShow},
		{"GET /concerns", need(safeguarding.ReadConcerns), c.concernsShow},
		{"GET /concerns/{id}", need(safeguarding.ReadConcerns), c.concernShow},
		{"POST /concerns/{id}/status", need(safeguarding.ReadConcerns), c.concernStatus},
		{"POST /concerns/{id}/notes", need(safeguarding.ReadConcerns), c.concernNote},
		{"GET /incidents", need(safeguarding.RecordIncident), c.incidentsShow},
		{"GET /incidents/new", need(safeguarding.RecordIncident), c.incidentNew},
		{"POST /incidents", need(safeguarding.RecordIncident), c.incidentCreate},
		{"POST /incidents/evidence", need(safeguarding.RecordIncident), c.incidentLink},
		{"GET /incidents/{id}", need(safeguarding.RecordIncident), c.incidentShow},
		{"POST /incidents/{id}/actions", need(safeguarding.RecordIncident), c.incidentAction},
		{"POST /incidents/{id}/corrections", need(safeguarding.RecordIncident), c.incidentCorrect},
		{"POST /incidents/{id}/referrals", need(safeguarding.RecordIncident), c.incidentRefer},
		{"POST /incidents/{id}/status", needEither(safeguarding.ReadPupilIncidents, safeguarding.ReadStaffIncidents), c.incidentStatus},
		{"POST /incidents/{id}/close", needEither(safeguarding.ReadPupilIncidents, safeguarding.ReadStaffIncidents), c.incidentClose},
		{"GET /policy", need(safeguarding.ReadPolicy), c.policyShow},
		{"GET /policy/history", need(safeguarding.ReadPolicy), c.policyHistoryShow},
		{"POST /policy/history/{id}/rollback", need(safeguarding.RollbackPolicy), c.policyRollback},
		{"GET /audit", need(safeguarding.ReadAudit), c.auditShow},
		{"GET /people", need(safeguarding.ManagePeople), c.peopleShow},
		{"POST /people", need(safeguarding.ManagePeople), c.personAdd},
		{"POST /people/import", need(safeguarding.ManagePeople), c.peopleImport},
		{"POST /people/class-logons", need(safeguarding.ManagePeople), c.classLogOnAdd},
		{"GET /people/{name}", need(safeguarding.ManagePeople), c.personShow},
		{"POST /people/{name}/roles", need(safeguarding.ManagePeople), c.personRoles},
		{"POST /people/{name}/disable", need(safeguarding.ManagePeople), c.personDisable},
		{"POST /people/{name}/enable", need(safeguarding.ManagePeople), c.personEnable},
		{"POST /people/{name}/password", need(safeguarding.ManagePeople), c.personPassword},
		{"GET /aua", need(safeguarding.ManageAUA), c.auaShow},
		{"POST /aua", need(safeguarding.ManageAUA), c.auaPublish},
		{"GET /devices", need(safeguarding.EndDeviceSignIn), c.devicesShow},
		{"POST /devices/{addr}/end", need(safeguarding.EndDeviceSignIn), c.deviceEnd},
		{"GET /subject-access", need(safeguarding.SubjectAccess), c.subjectShow},
		{"POST /subject-access", need(safeguarding.SubjectAccess), c.subjectOpen},
		{"GET /subject-access/{id}", need(safeguarding.SubjectAccess), c.subjectReview},
		{"POST /subject-access/{id}/confirm", need(safeguarding.SubjectAccess), c.subjectConfirm},
		{"POST /subject-access/{id}/withhold", need(safeguarding.SubjectAccess), c.subjectWithhold},
		{"POST /subject-access/{id}/release", need(safeguarding.SubjectAccess), c.subjectRelease},
		{"GET /reports/governors", need(safeguarding.GovernorsReport), c.governorsReport},
		{"GET /reports/governors.pdf", need(safeguarding.GovernorsReport), c.governorsPDF},
		{"GET /incidents/{id}/investigation", need(safeguarding.Investigate), c.investigationNew},
		{"POST /incidents/{id}/investigation", need(safeguarding.Investigate), c.investigationOpen},
		{"GET /investigations/{id}", need(safeguarding.Investigate), c.investigationShow},
		{"GET /investigations/{id}/print", need(safeguarding.Investigate), c.investigationPrint},
		{"POST /investigations/{id}/sites", need(safeguarding.Investigate), c.investigationSite},
		{"POST /investigations/{id}/screenshots", need(safeguarding.Investigate), c.investigationScreenshotAdd},
		{"GET /investigations/{id}/screenshots/{shot}", need(safeguarding.Investigate), c.investigationScreenshotShow},
		{"POST /investigations/{id}/sign", need(safeguarding.Investigate), c.investigationSign},
		{"POST /investigations/{id}/referrals", need(safeguarding.Investigate), c.investigationReferral},
		{"POST /investigations/{id}/conclude", need(safeguarding.Investigate), c.investigationConclude},
		{"GET /incidents/{id}/sanctions", need(safeguarding.Sanction), c.sanctionsShow},
		{"POST /incidents/{id}/sanctions", need(safeguarding.Sanction), c.sanctionRecord},
		{"POST /sanctions/{id}/revoke", need(safeguarding.Sanction), c.sanctionRevoke},
		{"GET /tasks", need(safeguarding.DecideRequests), c.tasksShow},
		{"POST /tasks/{id}/done", need(safeguarding.DecideRequests), c.taskDone},
		{"GET /checks", need(safeguarding.ReadChecks), c.checksShow},
		{"POST /checks", need(safeguarding.RecordChecks), c.checkCreate},
		{"GET /checks/{id}", need(safeguarding.ReadChecks), c.checkShow},
		{"GET /reviews", need(safeguarding.ReadChecks), c.reviewsShow},
		{"POST /reviews", need(safeguarding.RecordChecks), c.reviewCreate},
		{"GET /findings", need(safeguarding.ReadChecks), c.findingsShow},
		{"POST /findings/{id}/resolve", need(safeguarding.RecordChecks), c.findingResolve},
		{"GET /alerts", seeAlerts, c.alertsShow},
		{"GET /alerts/{id}", seeAlerts, c.alertShow},
		{"POST /alerts/{id}/ack", seeAlerts, c.alertAck},
		{"POST /alerts/{id}/close", seeAlerts, c.alertClose},
		{"POST /alerts/{id}/assign", seeAlerts, c.alertAssign},
		{"POST /alerts/{id}/notes", seeAlerts, c.alertNote},
		{"GET /nodes", need(safeguarding.ReadNodes), c.nodesShow},

		// The JSON API (api.go): a bearer token or the session; 401 for
		// any path under /api/v1 without one.
		{"GET /api/v1/me", signedIn(), c.apiMe},
		{"GET /api/v1/trust/summary", need(safeguarding.TrustDashboard), c.apiTrustSummary},
		{"GET /api/v1/openapi.json", signedIn(), c.apiOpenAPI},
		{"GET /api/v1/activity", needEither(safeguarding.ViewNamedPupilActivity, safeguarding.ViewNamedStaffActivity), c.apiActivity},
		{"GET /api/v1/activity/counts", need(safeguarding.ViewCounts), c.apiCounts},
		{"GET /api/v1/requests", need(safeguarding.DecideRequests), c.apiRequests},
		{"POST /api/v1/requests/{id}/approve", need(safeguarding.DecideRequests), c.apiRequestApprove},
		{"POST /api/v1/requests/{id}/deny", need(safeguarding.DecideRequests), c.apiRequestDeny},
		{"POST /api/v1/grants", need(safeguarding.GrantPermission), c.apiGrantCreate},
		{"GET /api/v1/concerns", need(safeguarding.ReadConcerns), c.apiConcerns},
		{"GET /api/v1/audit", need(safeguarding.ReadAudit), c.apiAudit},
		{"GET /api/v1/incidents", need(safeguarding.RecordIncident), c.apiIncidents},
		{"POST /api/v1/incidents", need(safeguarding.RecordIncident), c.apiIncidentCreate},
		{"GET /api/v1/incidents/categories", need(safeguarding.RecordIncident), c.apiIncidentCategories},
		{"GET /api/v1/incidents/{id}", need(safeguarding.RecordIncident), c.apiIncident},
		{"POST /api/v1/incidents/{id}/actions", need(safeguarding.RecordIncident), c.apiIncidentAction},
		{"GET /api/v1/policy/table", need(safeguarding.ReadPolicy), c.apiPolicyTable},
		{"GET /api/v1/policy/history", need(safeguarding.ReadPolicy), c.apiPolicyHistory},
		{"GET /api/v1/reports/governors", need(safeguarding.GovernorsReport), c.apiGovernorsReport},
		{"GET /api/v1/investigations/{id}", need(safeguarding.Investigate), c.apiInvestigation},
		{"GET /api/v1/incidents/{id}/sanctions", need(safeguarding.Sanction), c.apiSanctions},
		{"POST /api/v1/incidents/{id}/sanctions", need(safeguarding.Sanction), c.apiSanctionCreate},
		{"POST /api/v1/sanctions/{id}/revoke", need(safeguarding.Sanction), c.apiSanctionRevoke},
		{"GET /api/v1/checks", need(safeguarding.ReadChecks), c.apiChecks},
		{"POST /api/v1/checks", need(safeguarding.RecordChecks), c.apiCheckCreate},
		{"GET /api/v1/alerts", seeAlerts, c.apiAlerts},
		{"GET /api/v1/alerts/count", seeAlerts, c.apiAlertsCount},
		{"POST /api/v1/alerts/{id}/ack", seeAlerts, c.apiAlertAck},
		{"POST /api/v1/alerts/{id}/close", seeAlerts, c.apiAlertClose},
		{"GET /api/v1/nodes", need(safeguarding.ReadNodes), c.apiNodes},
		{"/api/v1/", signedIn(), c.apiNotFound},
	}
}
