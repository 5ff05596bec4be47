// Package notify delivers alerts to the people the school names for them:
// at once to every contact whose severities, groups and hours match, by
// e-mail over SMTP and by signed webhook, and by escalation to the
// escalation contacts, one step per period, while nobody acknowledges.
//
// What it sends names no child, no search term and no site visited: only
// the severity, the rule's title, the group, the time and a link to the
// alert in the console, where a person who may read it signs in to see
// the rest. Delivery never blocks the alert engine: Raised queues and
// returns; workers send, each channel on its own bounded queue.
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/config"
)

// Alert is what the alert engine raises (the engine's alerts.Notice, field
// for field).
type Alert struct {
	ID            int64
	Site          string
	Severity      int
	Rule, Title   string
	Group         string
	Circumvention bool
	At            time.Time
	EscalateAfter time.Duration
}

// The audit actions reported through Options.Audit.
const (
	ActionSent   = "alert.notify.sent"
	ActionFailed = "alert.notify.failed"
)

// Sentinel errors.
var (
	ErrNoStartTLS       = errors.New("the mail server does not offer STARTTLS")
	ErrPlainCredentials = errors.New("refusing to send credentials over a connection without TLS")
	ErrQueueFull        = errors.New("delivery queue full")
	ErrSecret           = errors.New("secret not available")
	ErrClosed           = errors.New("dispatcher closed")
)

// Options are the dispatcher's collaborators; all may be left zero.
type Options struct {
	// Now is the clock (default time.Now); tests inject their own.
	Now func() time.Time
	// Audit is told of every notification sent (ActionSent) or given up
	// on (ActionFailed), with the recipient ("email:ADDRESS" or
	// "webhook:NAME"); the server writes it to the audit chain.
	Audit func(ctx context.Context, action string, alertID int64, recipient string)
	// ConsoleURL is the console's address as serve bound it, for the link
	// when alerts.console_url is not set.
	ConsoleURL string
	// Logger gets delivery problems (never anything about a child).
	Logger *slog.Logger
	// Registerer, when set, gets the sent/failed counters.
	Registerer prometheus.Registerer
	// Getenv reads password_env and secret_env (default os.Getenv).
	Getenv func(string) string
	// TLS is the base of the STARTTLS configuration (RootCAs for a school
	// CA); ServerName is the SMTP host's unless set.
	TLS *tls.Config
	// HTTPClient posts webhooks (default: one with a 10s timeout that
	// follows no redirect).
	HTTPClient *http.Client
	// QueueSize bounds each channel's queue (default 256).
	QueueSize int
	// Attempts bounds the tries of one webhook post (default 5); RetryBase
	// is the first back-off (default 1s), doubled each time up to
	// RetryMax (default 1m), each with jitter.
	Attempts  int
	RetryBase time.Duration
	RetryMax  time.Duration
}

// Dispatcher routes alerts to contacts and delivers them.
type Dispatcher struct {
	cur     atomic.Pointer[routes] // swapped whole by Apply
	opts    Options
	log     *slog.Logger
	metrics *metrics

	laneMu sync.Mutex
	lanes  map[string]*lane // "email", or "webhook:NAME" → its queue and worker

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// routes is the alerts section compiled: who is told, how. A job keeps
// the routes it was queued with, so a reload never changes a message
// half sent.
type routes struct {
	site       string
	loc        *time.Location
	consoleURL string
	contacts   []*contact
	hooks      map[string]*webhook
	hookOrder  []*webhook
	mailer     *mailer // nil without alerts.smtp
}

// New builds a dispatcher from the policy's alerts section and starts its
// workers; Close stops them. It fails when a password or secret named in
// the policy cannot be read, or a contact's roles may read no alert.
func New(c *config.Config, opts Options) (*Dispatcher, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 256
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 5
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = time.Second
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = time.Minute
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // the body goes where the policy says, or nowhere
		}}
	}
	d := &Dispatcher{opts: opts, log: opts.Logger, lanes: map[string]*lane{}}
	var err error
	if d.metrics, err = newMetrics(opts.Registerer); err != nil {
		return nil, err
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	if err := d.Apply(c); err != nil {
		d.cancel()
		return nil, err
	}
	return d, nil
}

// Apply puts a reloaded policy's contacts and webhooks in force. On error
// (a secret that cannot be read) the ones in force stay.
func (d *Dispatcher) Apply(c *config.Config) error {
	r, err := compile(c, d.opts)
	if err != nil {
		return err
	}
	if (len(r.contacts) > 0 || len(r.hookOrder) > 0) && c.Alerts.ConsoleURL == "" && d.opts.ConsoleURL == "" {
		d.log.Warn("alerts.console_url is not set: the link in alert e-mails and webhooks is " + r.link(0) + ", which staff may not reach")
	}
	d.cur.Store(r)
	return nil
}

func compile(c *config.Config, opts Options) (*routes, error) {
	loc, err := time.LoadLocation(c.Site.Timezone)
	if err != nil {
		return nil, fmt.Errorf("alerts: site.timezone: %w", err)
	}
	r := &routes{site: c.Site.ID, loc: loc, consoleURL: consoleURL(c, opts.ConsoleURL), hooks: map[string]*webhook{}}
	a := c.Alerts
	if a.SMTP != nil {
		if r.mailer, err = newMailer(c, a.SMTP, opts); err != nil {
			return nil, err
		}
	}
	for i := range a.Webhooks {
		w, err := newWebhook(c, &a.Webhooks[i], opts)
		if err != nil {
			return nil, err
		}
		r.hooks[w.name] = w
		r.hookOrder = append(r.hookOrder, w)
	}
	for i := range a.Contacts {
		ct, err := newContact(c, &a.Contacts[i], i)
		if err != nil {
			return nil, err
		}
		r.contacts = append(r.contacts, ct)
	}
	return r, nil
}

// consoleURL is alerts.console_url, or the console's own address.
func consoleURL(c *config.Config, bound string) string {
	if c.Alerts.ConsoleURL != "" {
		return strings.TrimRight(c.Alerts.ConsoleURL, "/")
	}
	if bound != "" {
		return strings.TrimRight(bound, "/")
	}
	scheme := "https"
	if c.Console.TLS.Off {
		scheme = "http"
	}
	return scheme + "://" + c.Console.Listen
}

// Link is the alert's page in the console.
func (d *Dispatcher) Link(id int64) string { return d.cur.Load().link(id) }

func (r *routes) link(id int64) string {
	if id == 0 { // not stored yet: the list, where it will be
		return r.consoleURL + "/alerts"
	}
	return fmt.Sprintf("%s/alerts/%d", r.consoleURL, id)
}

// Raised queues the alert for every contact and webhook it is routed to
// and returns at once; it never blocks on delivery.
func (d *Dispatcher) Raised(ctx context.Context, a Alert) {
	r := d.cur.Load()
	contacts, fallback := r.route(a, d.opts.Now())
	if fallback {
		d.log.Warn("no contact's groups and hours match an alert: telling every contact who takes its severity", "alert", a.ID, "severity", a.Severity)
	}
	d.deliver(ctx, r, a, 0, contacts, r.hooksFor(a, contacts))
}

// deliver queues one message per contact (by e-mail) and one post per
// webhook; step is 0 for the first notice, the escalation step after.
// It returns how many were queued.
func (d *Dispatcher) deliver(ctx context.Context, r *routes, a Alert, step int, contacts []*contact, hooks []*webhook) int {
	queued := 0
	for _, ct := range contacts {
		if ct.email == "" || r.mailer == nil { // validation requires smtp for an e-mail
			continue
		}
		if d.enqueue(ctx, d.lane("email", "email"), a.ID, "email:"+ct.email, func(ctx context.Context) error {
			return r.mailer.send(ctx, r.message(a, step, ct, d.opts.Now()), ct.email)
		}) {
			queued++
		}
	}
	for _, w := range hooks {
		if d.enqueue(ctx, d.lane("webhook:"+w.name, "webhook"), a.ID, "webhook:"+w.name, func(ctx context.Context) error {
			return w.post(ctx, r.payload(a, step), d.opts)
		}) {
			queued++
		}
	}
	return queued
}

// lane is the queue of the key, started on first use.
func (d *Dispatcher) lane(key, channel string) *lane {
	d.laneMu.Lock()
	defer d.laneMu.Unlock()
	l := d.lanes[key]
	if l == nil && d.ctx.Err() != nil { // closed: enqueue fails it
		return &lane{channel: channel, jobs: make(chan job)}
	}
	if l == nil {
		l = d.startLane(channel)
		d.lanes[key] = l
	}
	return l
}

// Close stops the workers. Posts still being retried are abandoned and
// reported as failed.
func (d *Dispatcher) Close() {
	d.once.Do(func() {
		d.laneMu.Lock() // no lane starts once cancelled
		d.cancel()
		d.laneMu.Unlock()
		d.wg.Wait()
	})
}
