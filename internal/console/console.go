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
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// Options build a Console.
type Options struct {
	Store     *store.Store
	Directory *store.Directory
	Service   *safeguarding.Service
	// Snapshot is the policy in force (categories, groups, the site's
	// time zone and school_day_end, console.session_*).
	Snapshot func() *policy.Snapshot
	// TLS says the console is served over HTTPS (Secure cookies, HSTS).
	TLS bool
	// Sessions are the proxy log-ins (client address → person) of this
	// process, the ones the identity resolver reads: the devices page
	// lists and ends them. nil: none here (the page says so).
	Sessions *identity.Sessions
	// Alerts are the monitoring alert operations (nil: over Store).
	Alerts *safeguarding.Alerts
	Log    *slog.Logger
	Now    func() time.Time
}

// Console is the console's HTTP application.
type Console struct {
	st     *store.Store
	dir    *store.Directory
	svc    *safeguarding.Service
	snap   func() *policy.Snapshot
	tls    bool
	devs   *identity.Sessions
	alerts *safeguarding.Alerts
	log    *slog.Logger
	now    func() time.Time
	views  map[string]*template.Template
	mux    *http.ServeMux

	setupMu sync.Mutex
	setup   setupToken

	overlaps overlapCache
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
	if opt.Alerts == nil {
		opt.Alerts = safeguarding.NewAlerts(opt.Store)
	}
	views, err := parseViews()
	if err != nil {
		return nil, err
	}
	c := &Console{st: opt.Store, dir: opt.Directory, svc: opt.Service, snap: opt.Snapshot, tls: opt.TLS, devs: opt.Sessions, alerts: opt.Alerts,
		log: opt.Log, now: opt.Now, views: views, mux: http.NewServeMux()}
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
		switch r {
		case identity.RoleTechnical, identity.RoleESafetyLead, identity.RoleDSL, identity.RoleSLT:
			return true
		}
	}
	return false
}

// HasAccounts says whether anyone can sign in to the console: an enabled
// person with a console role and a password.
func (c *Console) HasAccounts(ctx context.Context) (bool, error) {
	users, err := c.st.ListUsers(ctx)
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
