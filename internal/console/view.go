package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
)

//go:embed templates/*.html
var templateFS embed.FS

// parseViews parses each page template with the layout; every page the
// handlers render must exist.
func parseViews() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"roles": func(rs []identity.Role) string { return strings.ReplaceAll(identity.JoinRoles(rs), ",", ", ") },
		"when":  func(t time.Time) string { return t.Format("Mon 2 Jan 15:04") },
		"join":  strings.Join,
		"has":   func(rs []identity.Role, r identity.Role) bool { return slices.Contains(rs, r) },
		"evidence": func(kind, ref, csrf string) map[string]string {
			return map[string]string{"Kind": kind, "Ref": ref, "CSRF": csrf}
		},
		"deref": func(n *int64) int64 { return *n },
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/add_to_incident.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	views := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: templates: %w", err)
		}
		views[name] = t
	}
	return views, nil
}

// pageNames are the templates render is asked for.
var pageNames = []string{"error", "login", "setup", "setup_done", "totp", "enrol", "recovery", "dashboard", "requests", "grants",
	"activity", "activity_code", "chronology", "concerns", "concern", "policy", "audit", "people", "person", "aua", "devices",
	"subject_access", "subject_request", "reports_governors", "investigation_new", "investigation", "investigation_print",
	"sanctions", "tasks", "incidents", "incident_new", "incident",
	"checks", "check", "reviews", "findings", "alerts", "alert", "policy_history", "trust", "nodes"}

// page is what the layout sees: the view model of the page in Body.
type page struct {
	Title    string
	Site     string
	Template string
	Person   string
	Roles    string
	CSRF     string
	Nav      []navItem
	// NewAlerts is the live count of new alerts, for a visitor who
	// sees alerts (nil: none shown).
	NewAlerts *int64
	// Degraded says the database does not answer (the node filters from
	// its local copy): a banner on every page the console can still show.
	Degraded string
	Body     any
}

type navItem struct {
	Href, Label string
	Current     bool
}

// nav is the menu: the pages the roles may open.
var nav = []struct {
	href, label string
	need        access // as the page's own route
}{
	{"/", "Dashboard", need(safeguarding.Dashboard)},
	{"/trust", "Trust", need(safeguarding.TrustDashboard)},
	{"/requests", "Requests", need(safeguarding.DecideRequests)},
	{"/grants", "Grants", need(safeguarding.GrantPermission)},
	{"/activity", "Activity", needEither(safeguarding.ViewNamedPupilActivity, safeguarding.ViewNamedStaffActivity)},
	{"/concerns", "Concerns", need(safeguarding.ReadConcerns)},
	{"/incidents", "Incidents", need(safeguarding.RecordIncident)},
	{"/policy", "Policy", need(safeguarding.ReadPolicy)},
	{"/audit", "Audit", need(safeguarding.ReadAudit)},
	{"/people", "People", need(safeguarding.ManagePeople)},
	{"/aua", "Acceptable use", need(safeguarding.ManageAUA)},
	{"/devices", "Devices", need(safeguarding.EndDeviceSignIn)},
	{"/subject-access", "Subject access", need(safeguarding.SubjectAccess)},
	{"/reports/governors", "Governors' report", need(safeguarding.GovernorsReport)},
	{"/tasks", "Tasks", need(safeguarding.DecideRequests)},
	{"/checks", "Checks", need(safeguarding.ReadChecks)},
	{"/alerts", "Alerts", needAny(safeguarding.ReadPupilAlerts, safeguarding.ReadStaffAlerts, safeguarding.ReadCircumventionAlerts)},
	{"/nodes", "Nodes", need(safeguarding.ReadNodes)},
}

// errorView is the error page's model.
type errorView struct {
	Title, Message string
}

// render writes a page with its status. Templates run into a buffer, so
// a template error is a clean 500 rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v *visit, body any) {
	p := page{Template: name, Site: c.snap().Config().Site.Name, Body: body, Degraded: c.degraded()}
	if p.Site == "" {
		p.Site = "Schoolgate"
	}
	if t, ok := body.(interface{ title() string }); ok {
		p.Title = t.title()
	}
	if e, ok := body.(errorView); ok {
		p.Title = e.Title
	}
	if v != nil {
		p.Person = v.user.DisplayName
		if p.Person == "" {
			p.Person = v.user.Username
		}
		p.Roles = strings.ReplaceAll(identity.JoinRoles(v.user.Roles), ",", ", ")
		p.CSRF = v.sess.CSRF
		if v.complete() {
			p.NewAlerts = c.liveAlertCount(r, v)
			for _, n := range nav {
				if n.need.allows(v.user.Roles) {
					p.Nav = append(p.Nav, navItem{Href: n.href, Label: n.label, Current: r.URL.Path == n.href})
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := c.views[name].ExecuteTemplate(&buf, "layout.html", p); err != nil {
		c.log.Error("console: template", "page", name, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail answers 500 for an unexpected error. The log gets the error and
// the route's pattern, never the page's data nor the path (a path such as
// /people/ada/chronology names a person).
func (c *Console) fail(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	if c.unavailable() {
		c.log.Warn("console: the database does not answer", "route", r.Pattern)
		c.render(w, r, http.StatusServiceUnavailable, "error", v, errorView{Title: "Database unavailable", Message: unavailableMessage})
		return
	}
	c.log.Error("console: request failed", "route", r.Pattern, "err", err)
	c.render(w, r, http.StatusInternalServerError, "error", v, errorView{Title: "Something went wrong", Message: "The console could not do that. Try again; if it keeps happening, tell the technical team the time it happened."})
}
