package pages

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/config"
	"schoolgate/internal/identity"
)

// The captive portal's sign-in page (groups.X.portal). An unidentified
// client in a portal group's networks is sent here by DNS (every name
// answers the block page's address) and by the proxy (every request
// answers this page, 200, never a redirect: a device's connectivity check
// must see a page to offer its "sign in to network" sheet). The form posts
// username and password to /signin on the same host, whichever name the
// device asked for; a sign-in maps the device's address to the person
// (identity.Sessions.SetPortal), so its next query gets that person's
// answer, exactly as after a proxy log-in.

// Portal paths: the form's, and signing out.
const (
	SignInPath  = "/signin"
	SignOutPath = "/signout"
)

// maxSignInForm bounds a sign-in form's body.
const maxSignInForm = 8 << 10

// PortalAction is the activity log's action for a portal sign-in.
const PortalAction = "portal-signin"

// IsPortalPath reports whether path is one of the sign-in page's own.
func IsPortalPath(path string) bool {
	return path == SignInPath || path == SignOutPath || strings.HasPrefix(path, OIDCPrefix)
}

// Portal answers a request from a client that must sign in first: a POST
// to /signin signs in; anything else is the sign-in page, 200.
func (p *Pages) Portal(w http.ResponseWriter, r *http.Request, v Visitor) {
	if strings.HasPrefix(r.URL.Path, OIDCPrefix) {
		p.portalOIDC(w, r, v)
		return
	}
	if r.URL.Path == SignInPath && r.Method == http.MethodPost {
		p.portalForm(w, r, v)
		return
	}
	p.portalPage(w, r, http.StatusOK, v, "", time.Time{}, "")
}

// PortalForm answers /signin and /signout on the block-page listener for
// any client (one already signed in sees whom as, and may sign out).
func (p *Pages) PortalForm(w http.ResponseWriter, r *http.Request, v Visitor) {
	if strings.HasPrefix(r.URL.Path, OIDCPrefix) {
		p.portalOIDC(w, r, v)
		return
	}
	if r.Method != http.MethodPost {
		p.portalStatus(w, r, v)
		return
	}
	p.portalForm(w, r, v)
}

// portalForm checks the cross-origin guard (the console's /login's:
// Sec-Fetch-Site, else Origin against Host; the page posts to its own
// origin) and the form's size, then signs in or out.
func (p *Pages) portalForm(w http.ResponseWriter, r *http.Request, v Visitor) {
	if err := http.NewCrossOriginProtection().Check(r); err != nil {
		p.o.Log.Warn("portal: cross-origin sign-in form refused")
		p.message(w, http.StatusForbidden, p.school(), "Not allowed", "Sign in on the school's sign-in page itself.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSignInForm)
	if err := r.ParseForm(); err != nil {
		p.message(w, http.StatusBadRequest, p.school(), "Something went wrong", "The form could not be read: go back and try again.")
		return
	}
	if r.URL.Path == SignOutPath {
		p.signOut(w, r, v)
		return
	}
	if p.secureURL(r) != "" {
		// blockpage.tls is on: a password is taken over HTTPS only.
		p.o.Log.Warn("portal: sign-in over plain HTTP refused (blockpage.tls is on)")
		p.portalPage(w, r, http.StatusForbidden, v, "Sign in on the secure sign-in page: your password was not accepted over an unencrypted connection.", time.Time{}, "")
		return
	}
	p.signIn(w, r, v)
}

// signIn checks the password through the directory (local or LDAP, with
// its rate limits) and maps the client's address to the person.
func (p *Pages) signIn(w http.ResponseWriter, r *http.Request, v Visitor) {
	if p.o.Directory == nil || p.o.Sessions == nil || p.o.Engine == nil {
		p.portalPage(w, r, http.StatusServiceUnavailable, v, "Signing in is not available: ask a member of staff.", time.Time{}, "")
		return
	}
	name := strings.TrimSpace(r.PostFormValue("username"))
	pass := r.PostFormValue("password")
	if name == "" || pass == "" {
		p.portalPage(w, r, http.StatusBadRequest, v, "Enter your username and password.", time.Time{}, "")
		return
	}
	u, err := p.o.Directory.Authenticate(r.Context(), name, pass, v.Client)
	if err == nil {
		// Staff ended this person's sign-in here: checked after the
		// password, so the answer tells nothing to a stranger.
		err = p.o.Sessions.Ended(v.Client, u.Username)
	}
	if err != nil {
		status, msg, reason := signInRefusal(err)
		// Who tried is not logged, only the kind of failure.
		p.o.Log.Info("portal: sign-in failed", "reason", reason)
		p.portalPage(w, r, status, v, msg, time.Time{}, "")
		return
	}
	p.signedIn(w, r, v, *u)
}

// signedIn maps the client's address to the person (until
// identity.portal_session; staff also when idle), logs the portal-signin
// activity event and shows whom the device is signed in as.
func (p *Pages) signedIn(w http.ResponseWriter, r *http.Request, v Visitor, u identity.User) {
	snap := p.o.Engine.Snapshot()
	cfg := snap.Config()
	now := p.o.Now()
	until := cfg.PortalUntil(now, snap.Location())
	var idle time.Duration
	if isStaff(u.Roles) {
		idle = config.PortalStaffIdle
	}
	p.o.Sessions.SetPortal(v.Client, u.Username, until, idle)
	p.o.Activity.Log(activity.Event{
		Time: now, Client: v.Client, User: u.Username, Groups: snap.GroupNames(v.Groups),
		Host: hostOnly(r.Host), Verdict: "allow", Rule: "portal", Point: activity.PointProxy, Action: PortalAction,
	})
	p.o.Log.Info("portal: signed in")
	p.portalPage(w, r, http.StatusOK, v, "", until, u.Username)
}

// signOut ends the sign-in from the client's address; the device is back
// at the portal (when it is in a portal group).
func (p *Pages) signOut(w http.ResponseWriter, r *http.Request, v Visitor) {
	if p.o.Sessions != nil {
		p.o.Sessions.SignOut(v.Client)
	}
	p.message(w, http.StatusOK, p.school(), "Signed out", "You are signed out on this device.")
}

// portalStatus shows a GET of /signin or /signout: who is signed in from
// this address, or the form.
func (p *Pages) portalStatus(w http.ResponseWriter, r *http.Request, v Visitor) {
	if p.o.Sessions != nil {
		for _, s := range p.o.Sessions.List() {
			if s.Addr == v.Client.Unmap() {
				p.portalPage(w, r, http.StatusOK, v, "", s.Until, s.User)
				return
			}
		}
	}
	p.portalPage(w, r, http.StatusOK, v, "", time.Time{}, "")
}

func (p *Pages) portalPage(w http.ResponseWriter, r *http.Request, status int, v Visitor, errText string, until time.Time, user string) {
	title := "Sign in to use the internet"
	var untilText, contact string
	if user != "" {
		title = "Signed in"
		loc := time.UTC
		if p.o.Engine != nil {
			loc = p.o.Engine.Snapshot().Location()
		}
		untilText = until.In(loc).Format("15:04 on Monday 2 January")
	}
	if p.o.Engine != nil {
		contact = p.o.Engine.Snapshot().Config().BlockPage.Contact
	}
	p.render(w, status, "portal.html", map[string]any{
		"School": p.school(), "Title": title, "CSS": p.css, "Error": errText,
		"User": user, "Until": untilText, "Contact": contact, "SecureURL": p.secureURL(r),
		"Providers": p.providers(),
	})
}

// secureURL is the HTTPS sign-in page for a plain-HTTP request when
// blockpage.tls is on ("" otherwise): on the block-page listener, the
// name the device asked for (the school CA mints its certificate); through
// the proxy, the block page's own host.
func (p *Pages) secureURL(r *http.Request) string {
	if p.o.BlockPageTLSAddr == "" || r.TLS != nil {
		return ""
	}
	_, port, err := net.SplitHostPort(p.o.BlockPageTLSAddr)
	if err != nil {
		return ""
	}
	host := hostOnly(r.Host)
	if r.URL.Host != "" && p.o.Engine != nil { // an absolute-form proxy request
		host = p.o.Engine.Snapshot().Config().BlockPageURL(p.o.BlockPageAddr, p.o.ProxyAddr).Hostname()
	}
	if host == "" {
		return ""
	}
	u := url.URL{Scheme: "https", Host: net.JoinHostPort(host, port), Path: "/"}
	if port == "443" {
		u.Host = strings.TrimSuffix(u.Host, ":443")
	}
	return u.String()
}

// signInRefusal is what a refused sign-in answers: status, the page's
// words, and the system log's reason (never who).
func signInRefusal(err error) (int, string, string) {
	switch {
	case errors.Is(err, identity.ErrRateLimited):
		return http.StatusTooManyRequests, "Too many wrong passwords: wait a minute and try again.", "rate-limited"
	case errors.Is(err, identity.ErrBusy):
		return http.StatusServiceUnavailable, "Too many sign-ins at once: try again in a moment.", "busy"
	case errors.Is(err, identity.ErrSignInEnded):
		return http.StatusForbidden, "A member of staff ended your sign-in on this device. Someone else can sign in here now, or you can sign in on another device.", "sign-in ended by staff"
	case errors.Is(err, identity.ErrBadCredentials), errors.Is(err, identity.ErrNotFound), errors.Is(err, identity.ErrDisabled):
		// A disabled account reads like a wrong password: the page
		// tells a stranger nothing about which accounts exist.
		return http.StatusUnauthorized, "Wrong username or password.", "wrong username or password"
	}
	return http.StatusServiceUnavailable, "Signing in is not working just now: try again in a moment, or ask a member of staff.", "directory error"
}

// isStaff: any role but pupil and visitor (their device sessions also end
// when idle).
func isStaff(roles []identity.Role) bool {
	for _, r := range roles {
		if r != identity.RolePupil && r != identity.RoleVisitor {
			return true
		}
	}
	return false
}

func hostOnly(h string) string {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	return strings.Trim(strings.ToLower(h), "[]")
}
