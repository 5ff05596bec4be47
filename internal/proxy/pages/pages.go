// Package pages renders what a person sees when the filter stops them —
// the block page, the warning page with Continue, the acceptable-use
// agreement — and handles their forms: Ask for access (a filter-change
// request), Report a concern, Continue and I agree. The proxy serves these
// pages in place of the site (HTTP, inspected HTTPS); the block-page
// listener serves the same pages for names the DNS filter blocked.
//
// Forms post to Prefix on the block page's own address (blockpage.public_url,
// see address.go), never to the blocked site's host, which any page on
// that site could post to as well; the proxy takes them there too. Each
// carries a short-lived token bound to the client, the person and the
// page it was shown for (token.go), is checked by
// http.CrossOriginProtection trusting only that page's origin, and
// requests and concerns are rate-limited per client and per person
// (limit.go). Illegal categories get neither Ask for access nor Continue,
// and their pages name the category only.
package pages

import (
	"context"
	"crypto/rand"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/identity"
	"schoolgate/internal/oidcflow"
	"schoolgate/internal/policy"
)

// Prefix is the path under which the pages' forms post, on any host.
const Prefix = "/.schoolgate/"

//go:embed templates/*.html templates/style.css
var files embed.FS

// Visitor is who is looking at a page.
type Visitor struct {
	Client netip.Addr
	User   string // "" when unidentified
	Groups policy.Set
	// Portal: unidentified in a portal group's networks (portal.go).
	Portal bool
}

// subject is who a click-through or an agreement belongs to: the user, or
// for an unidentified client its address.
func (v Visitor) subject() string {
	if v.User != "" {
		return v.User
	}
	return "ip:" + v.Client.String()
}

// Request is a filter-change request made with Ask for access.
type Request struct {
	User       string
	Client     netip.Addr
	Groups     []string
	URL        string
	Host       string
	Categories []string
	Rule       string
	Reason     string
	Ref        string
	At         time.Time
}

// Concern is a report made with Report a concern.
type Concern struct {
	User    string
	Client  netip.Addr
	URL     string
	Kind    string // got-through, should-block, other
	Details string
	Ref     string
	At      time.Time
}

// Acceptance is one agreement to an acceptable-use policy version.
type Acceptance struct {
	User    string // the user, or "ip:ADDR" for an unidentified client
	Group   string
	Version string
	Client  netip.Addr
	At      time.Time
}

// Requests stores filter-change requests; it returns the request number.
type Requests interface {
	CreateRequest(ctx context.Context, r Request) (int64, error)
}

// Concerns stores concerns; it returns the concern number.
type Concerns interface {
	CreateConcern(ctx context.Context, c Concern) (int64, error)
}

// Continues records a warning click-through as a time-limited override of
// kind "continue" for a user, or for an unidentified visitor's address
// (then the DNS filter honours it too, for that address).
type Continues interface {
	RecordContinue(ctx context.Context, user string, client netip.Addr, host, url string, until time.Time) error
}

// Agreements records and looks up acceptable-use agreements.
type Agreements interface {
	HasAccepted(ctx context.Context, user, group, version string) (bool, error)
	AcceptAUA(ctx context.Context, a Acceptance) error
}

// Options are the pages' dependencies; any store may be nil, and the
// matching action then says it is unavailable.
type Options struct {
	Engine     *policy.Engine
	Activity   activity.Sink
	Log        *slog.Logger
	Now        func() time.Time
	Requests   Requests
	Concerns   Concerns
	Continues  Continues
	Agreements Agreements
	// TokenKey signs the forms' tokens: the store's secret (TokenKeyName),
	// so that every node accepts the others' forms. Nil: a random key for
	// this process.
	TokenKey []byte
	// BlockPageAddr and ProxyAddr are the block-page listener's and the
	// proxy's bound addresses (their ports when the policy asked for port
	// 0); "" when off. The forms post to the block page's, or without
	// it to the proxy's (config.BlockPageURL).
	BlockPageAddr string
	ProxyAddr     string
	// Directory checks the sign-in page's passwords and Sessions takes
	// its sign-ins (portal.go); nil Directory: the page cannot sign in.
	Directory identity.Directory
	Sessions  *identity.Sessions
	// BlockPageTLSAddr is blockpage.tls's bound address, "" when off:
	// the sign-in page then takes passwords over HTTPS only.
	BlockPageTLSAddr string
	// OIDCStore binds identity.oidc's accounts to people for the sign-in
	// page's provider buttons (portal_oidc.go; serve passes the
	// database's, oidcstore.New); nil: no buttons.
	OIDCStore oidcflow.Store
	OIDC      *oidcflow.Clients // their discovery cache (nil: the page's own)
}

// Pages renders the pages and handles their forms. It is safe for
// concurrent use.
type Pages struct {
	o    Options
	tmpl *template.Template
	css  template.CSS
	key  []byte

	limit    limiter
	refusals *identity.FailureLimiter // refused forms logged as warnings, per device

	aua atomic.Pointer[auaSet]

	mu sync.Mutex
	// continued holds this process's click-throughs (subject "\x00" host
	// → until) beside the override each is stored as. Without it a
	// Continue would send the visitor straight back to the warning: with
	// no store configured, when the store write fails, and in the moment
	// before the override feed (a goroutine woken by the write) has
	// republished the engine's overrides, which the redirect races.
	continued map[string]time.Time
	accepted  map[string]bool // subject "\x00" group "\x00" version
}

// New parses the embedded templates.
func New(o Options) (*Pages, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Activity == nil {
		o.Activity = activity.Discard{}
	}
	if o.OIDC == nil {
		o.OIDC = &oidcflow.Clients{}
	}
	if o.Engine != nil && o.OIDC.Discovered == nil {
		// The endpoints a provider's discovery names join the portal's
		// walled garden: the device is sent to them next.
		o.OIDC.Discovered = o.Engine.AddPortalHosts
	}
	t, err := template.New("").Funcs(template.FuncMap{
		"date": func(t time.Time) string { return t.Format("Monday 2 January 2006, 15:04") },
	}).ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"block.html", "aua.html", "message.html", "portal.html"} {
		if t.Lookup(name) == nil {
			return nil, &missingTemplate{name}
		}
	}
	css, err := files.ReadFile("templates/style.css")
	if err != nil {
		return nil, err
	}
	key := o.TokenKey
	if len(key) == 0 {
		key = make([]byte, tokenKeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	return &Pages{
		o: o, tmpl: t, css: template.CSS(css), key: key,
		refusals:  identity.NewFailureLimiter(5, time.Minute, identity.Clock(o.Now)),
		continued: map[string]time.Time{}, accepted: map[string]bool{},
	}, nil
}

type missingTemplate struct{ name string }

func (m *missingTemplate) Error() string { return "pages: template " + m.name + " is missing" }

// render writes a template with the common headers: never cached, never
// framed, no referrer leaking the blocked URL.
func (p *Pages) render(w http.ResponseWriter, status int, name string, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	// "origin": the forms post to the block page's address, another
	// origin; a stricter policy would make browsers send Origin: null
	// there, and the cross-origin check could not tell our form from
	// another site's.
	h.Set("Referrer-Policy", "origin")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; base-uri 'none'")
	w.WriteHeader(status)
	if err := p.tmpl.ExecuteTemplate(w, name, data); err != nil {
		p.o.Log.Error("pages: render", "template", name, "err", err)
	}
}

// message shows a short page: a title and a sentence or two.
func (p *Pages) message(w http.ResponseWriter, status int, school, title, text string) {
	p.render(w, status, "message.html", map[string]any{"School": school, "Title": title, "Text": text, "CSS": p.css})
}

func (p *Pages) school() string {
	if p.o.Engine == nil {
		return "School"
	}
	if n := p.o.Engine.Snapshot().Config().Site.Name; n != "" {
		return n
	}
	return "School"
}
