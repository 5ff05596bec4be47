package config

// Storage chooses the database. SQLite in the data directory is the
// default; PostgreSQL's DSN comes from SCHOOLGATE_POSTGRES or the file named
// here, never from the (published) policy file itself.
type Storage struct {
	PostgresFile string `yaml:"postgres_file"`
}

// Retention says how long each kind of data is kept.
type Retention struct {
	Activity  Duration `yaml:"activity"`   // proxy events and hourly aggregates (default 365d)
	DNSEvents Duration `yaml:"dns_events"` // raw DNS events (default 30d)
	Requests  Duration `yaml:"requests"`   // filter-change requests (default 365d)
	Overrides Duration `yaml:"overrides"`  // expired grants and exceptions (default 365d)
	// PendingRequests is how long a request waits for a decision before
	// it expires (status expired, then purged with the decided ones).
	PendingRequests Duration `yaml:"pending_requests"` // default 30d
	// Concerns is how long a closed concern is kept after it was closed;
	// open concerns are never purged.
	Concerns Duration `yaml:"concerns"` // default 365d
	// PupilIncidentsAfterBirth: a closed incident about pupils (and its
	// investigation, screenshots and sanctions) is kept until every pupil
	// involved is this old (default 25y); without a date of birth it is
	// kept and flagged.
	PupilIncidentsAfterBirth Duration `yaml:"pupil_incidents_after_birth"`
	// StaffIncidents: a closed incident about staff is kept this long
	// from when it was reported (default 10y).
	StaffIncidents Duration `yaml:"staff_incidents"`
	// Alerts: a closed alert (with its copied events and notes) is kept
	// this long after it was closed (default 365d); open ones never go.
	// An alert that opened an incident lives on in that incident's
	// evidence.
	Alerts Duration `yaml:"alerts"`
}

func (r *Retention) applyDefaults() {
	const day = Duration(24 * 3600e9)
	if r.Activity == 0 {
		r.Activity = 365 * day
	}
	if r.DNSEvents == 0 {
		r.DNSEvents = 30 * day
	}
	if r.Requests == 0 {
		r.Requests = 365 * day
	}
	if r.Overrides == 0 {
		r.Overrides = 365 * day
	}
	if r.PendingRequests == 0 {
		r.PendingRequests = 30 * day
	}
	if r.Concerns == 0 {
		r.Concerns = 365 * day
	}
	if r.PupilIncidentsAfterBirth == 0 {
		r.PupilIncidentsAfterBirth = 25 * year
	}
	if r.StaffIncidents == 0 {
		r.StaffIncidents = 10 * year
	}
	if r.Alerts == 0 {
		r.Alerts = 365 * day
	}
}

// Identity maps what the school's MIS says about a user to policy groups.
type Identity struct {
	// YearGroups maps a year group ("R", "1" ... "13") to a policy group.
	YearGroups map[string]string `yaml:"year_groups"`
	// Roles maps a role (pupil, staff, governor, visitor, ...) to a group.
	Roles map[string]string `yaml:"roles"`
	// OIDC are the OpenID Connect providers staff sign in to the console
	// with (Microsoft Entra ID, Google Workspace, ...): oidc.go.
	OIDC []OIDCProvider `yaml:"oidc"`
	// LDAP is the school's directory (ldap.go).
	LDAP LDAP `yaml:"ldap"`
	// Password says what checks proxy and sign-in-page passwords: local
	// (Schoolgate's own argon2id hashes, the default) or ldap (a bind).
	Password string `yaml:"password"`
	// PortalSession is how long a sign-in on the portal page lasts (portal.go).
	PortalSession Duration `yaml:"portal_session"`
}
