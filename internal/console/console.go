// Package console is the safeguarding console: a server-rendered web
// application for the school's staff (sign-in with a second factor,
// server-side sessions, the dashboard, unblock requests and grants).
//
// Every route is in one table (routes.go) with the capability it needs
// from the permission table (internal/safeguarding), or an explicit
// public or signed-in marker; a route cannot be registered without one.
// Each handler has its own file; forms are structs with a Validate that
// names the field; each page has a view model; templates and CSS are
// embedded. Every change goes through safeguarding.Service, which checks
// the permission again.
package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/report"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// Options build a Console.
type Options struct {
	Store     *store.Store
	Directory *store.Directory
	Service   *safeguarding.Service
	// Sanctions records incidents' sanctions (nil: one over Store and
	// the policy in force).
	Sanctions *safeguarding.Sanctions
	// Incidents is the incident log; nil builds one on Store and
	// Directory with the policy's categories.
	Incidents *safeguarding.Incidents
	// AlertEvidence copies an alert into an incident as evidence (issue
	// 12); nil: made from Alerts.
	AlertEvidence AlertEvidence
	// Snapshot is the policy in force (categories, groups, the site's
	// time zone and school_day_end, console.session_*).
	Snapshot func() *policy.Snapshot
	// TLS says the console is served over HTTPS (Secure cookies, HSTS).
	TLS bool
	// Sessions are the proxy log-ins (client address → person) of this
	// process, the ones the identity resolver reads: the devices page
	// lists and ends them. nil: none here (the page says so).
	Sessions *identity.Sessions
	Log      *slog.Logger
	Now      func() time.Time
	// Reports makes the governors' report; nil: one over Store, without
	// sanctions or checks.
	Reports *report.Reporter
	// Investigations is the Appendix G record (nil: one over Store and
	// Directory, signatures checked against their passwords and codes).
	Investigations *safeguarding.Investigations
	// Checks are the filtering checks, reviews and findings (nil: made
	// from Store and Directory).
	Checks *safeguarding.Checks
	// Alerts are the monitoring alert operations (nil: over Store).
	Alerts *safeguarding.Alerts
	// Nodes reports the nodes' health for the trust dashboard (nil: "no
	// report" for every school).
	Nodes NodeHealth
}

// Console is the console's HTTP application.
type Console struct {
	st     *store.Store
	dir    *store.Directory
	svc    *safeguarding.Service
	inv    *safeguarding.Investigations
	sanc   *safeguarding.Sanctions
	inc    *safeguarding.Incidents
	alert  AlertEvidence
	chk    *safeguarding.Checks
	snap   func() *policy.Snapshot
	tls    bool
	devs   *identity.Sessions
	log    *slog.Logger
	now    func() time.Time
	views  map[string]*template.Template
	mux    *http.ServeMux
	alerts *safeguarding.Alerts

	setupMu sync.Mutex
	setup   setupToken

	overlaps overlapCache

	sar     *safeguarding.SubjectRequests
	fresh   freshAuth
	oidc    oidcClients
	reports *report.Reporter
	nodes   NodeHealth
}

// ErrNoStore: the console needs the database.
var ErrNoStore = errors.New("console: needs the database and user directory")

// New builds the console and registers its routes.
func New(opt Options) (*Console, error) {
	if opt.Store == nil || opt.Directory == nil || opt.Service == nil || opt.Snapshot == nil {
		return nil, ErrNoStore
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Sanctions == nil {
		opt.Sanctions = safeguarding.NewSanctions(safeguarding.SanctionsOptions{Store: opt.Store, Now: opt.Now,
			Config: func() *config.Config { return opt.Snapshot().Config() }})
	}
	if opt.Checks == nil {
		opt.Checks = safeguarding.NewChecks(safeguarding.ChecksOptions{Store: opt.Store, Directory: opt.Directory, Now: opt.Now})
	}
	if opt.Alerts == nil {
		opt.Alerts = safeguarding.NewAlerts(opt.Store)
	}
	if opt.AlertEvidence == nil {
		opt.AlertEvidence = alertEvidence(opt.Alerts)
	}
	views, err := parseViews()
	if err != nil {
		return nil, err
	}
	if opt.Reports == nil {
		opt.Reports = report.New(report.Options{Sources: report.FromStore(opt.Store), Snapshot: opt.Snapshot, Now: opt.Now})
	}
	if opt.Nodes == nil && opt.Store != nil {
		opt.Nodes = storeNodes{st: opt.Store, now: opt.Now}
	}
	if opt.Incidents == nil {
		opt.Incidents = safeguarding.NewIncidents(safeguarding.IncidentsOptions{Store: opt.Store, Directory: opt.Directory,
			Config: func() *config.Config { return opt.Snapshot().Config() }, Now: opt.Now})
	}
	c := &Console{reports: opt.Reports, st: opt.Store, dir: opt.Directory, svc: opt.Service, sanc: opt.Sanctions, inc: opt.Incidents, alert: opt.AlertEvidence, alerts: opt.Alerts,
		snap: opt.Snapshot, tls: opt.TLS, devs: opt.Sessions, log: opt.Log, now: opt.Now, views: views, mux: http.NewServeMux(), inv: opt.Investigations, chk: opt.Checks, nodes: opt.Nodes}
	c.sar = safeguarding.NewSubjectRequests(safeguarding.SubjectAccessOptions{Store: opt.Store, Now: opt.Now,
		Retention: func() config.Retention { return c.snap().Config().Retention }})
	if c.inv == nil {
		c.inv = newInvestigations(opt)
	}
	for _, rt := range c.routes() {
		if err := rt.need.valid(); err != nil {
			return nil, fmt.Errorf("console: route %s: %w", rt.pattern, err)
		}
		c.mux.Handle(rt.pattern, c.guard(rt))
	}
	return c, nil
}

// Handler is the whole console: security headers, cross-origin
// protection for every state-changing request, then the routes.
func (c *Console) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Cross-site request refused.", http.StatusForbidden)
	}))
	return c.headers(cop.Handler(c.mux))
}

// site is the school this console acts for (config site.id): every
// record its actors read or write is scoped to it.
func (c *Console) site() string { return c.snap().Config().Site.ID }

// settings is the console section of the policy in force.
func (c *Console) settings() config.Console { return c.snap().Config().Console }

// location is the site's time zone.
func (c *Console) location() *time.Location {
	if loc := c.snap().Location(); loc != nil {
		return loc
	}
	return time.UTC
}

// canSignIn says whether roles may use the console at all: pupils and
// visitors never, even when a wrong import gives them a staff role too.
func canSignIn(roles []identity.Role) bool {
	if slices.Contains(roles, identity.RolePupil) || slices.Contains(roles, identity.RoleVisitor) {
		return false
	}
	return safeguarding.Can(roles, safeguarding.Dashboard)
}

// needsSecondFactor: every role that can see a named child's data signs
// in with a TOTP code too.
func needsSecondFactor(roles []identity.Role) bool {
	for _, r := range roles {
		switch r.SchoolRole() { // the trust's roles as their school roles
		case identity.RoleTechnical, identity.RoleESafetyLead, identity.RoleDSL, identity.RoleSLT:
			return true
		}
	}
	return false
}

// HasAccounts says whether anyone can sign in to the console: an enabled
// person with a console role and a password.
func (c *Console) HasAccounts(ctx context.Context) (bool, error) {
	users, err := c.st.ListUsers(ctx, store.AllSites)
	if err != nil {
		return false, err
	}
	for _, u := range users {
		if u.Disabled || !canSignIn(u.Roles) {
			continue
		}
		if ok, err := c.st.HasPassword(ctx, u.Username); err != nil {
			return false, err
		} else if ok {
			return true, nil
		}
	}
	return false, nil
}
