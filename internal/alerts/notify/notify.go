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
	// HTTPClient posts webhooks (default: one with a 10s timeout).
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
	site       string
	loc        *time.Location
	consoleURL string
	contacts   []*contact
	hooks      map[string]*webhook
	hookOrder  []*webhook
	mailer     *mailer // nil without alerts.smtp
	opts       Options
	log        *slog.Logger
	metrics    *metrics

	mail  *lane
	lanes map[string]*lane // webhook name → its lane

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
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
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	loc, err := time.LoadLocation(c.Site.Timezone)
	if err != nil {
		return nil, fmt.Errorf("alerts: site.timezone: %w", err)
	}
	d := &Dispatcher{
		site:       c.Site.ID,
		loc:        loc,
		consoleURL: consoleURL(c, opts.ConsoleURL),
		hooks:      map[string]*webhook{},
		opts:       opts,
		log:        opts.Logger,
		lanes:      map[string]*lane{},
	}
	if d.metrics, err = newMetrics(opts.Registerer); err != nil {
		return nil, err
	}
	a := c.Alerts
	if a.SMTP != nil {
		if d.mailer, err = newMailer(c, a.SMTP, opts); err != nil {
			return nil, err
		}
	}
	for i := range a.Webhooks {
		w, err := newWebhook(c, &a.Webhooks[i], opts)
		if err != nil {
			return nil, err
		}
		d.hooks[w.name] = w
		d.hookOrder = append(d.hookOrder, w)
	}
	for i := range a.Contacts {
		ct, err := newContact(c, &a.Contacts[i], i)
		if err != nil {
			return nil, err
		}
		d.contacts = append(d.contacts, ct)
	}
	if (len(d.contacts) > 0 || len(d.hookOrder) > 0) && c.Alerts.ConsoleURL == "" && opts.ConsoleURL == "" {
		d.log.Warn("alerts.console_url is not set: the link in alert e-mails and webhooks is " + d.Link(0) + ", which staff may not reach")
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	if d.mailer != nil {
		d.mail = d.startLane("email")
	}
	for _, w := range d.hookOrder {
		d.lanes[w.name] = d.startLane("webhook")
	}
	return d, nil
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
func (d *Dispatcher) Link(id int64) string { return fmt.Sprintf("%s/alerts/%d", d.consoleURL, id) }

// Raised queues the alert for every contact and webhook it is routed to
// and returns at once; it never blocks on delivery.
func (d *Dispatcher) Raised(ctx context.Context, a Alert) {
	contacts := d.route(a, d.opts.Now())
	d.deliver(ctx, a, 0, contacts, d.hooksFor(a, contacts))
}

// deliver queues one message per contact (by e-mail) and one post per
// webhook; step is 0 for the first notice, the escalation step after.
// It reports whether everything was queued.
func (d *Dispatcher) deliver(ctx context.Context, a Alert, step int, contacts []*contact, hooks []*webhook) bool {
	ok := true
	for _, ct := range contacts {
		if ct.email == "" {
			continue
		}
		if d.mail == nil { // validation requires smtp for an e-mail
			ok = false
			continue
		}
		ct := ct
		ok = d.enqueue(ctx, d.mail, a.ID, "email:"+ct.email, func(ctx context.Context) error {
			return d.mailer.send(ctx, d.message(a, step, ct), ct.email)
		}) && ok
	}
	for _, w := range hooks {
		w := w
		ok = d.enqueue(ctx, d.lanes[w.name], a.ID, "webhook:"+w.name, func(ctx context.Context) error {
			return w.post(ctx, d.payload(a, step), d.opts)
		}) && ok
	}
	return ok
}

// Close stops the workers. Posts still being retried are abandoned and
// reported as failed.
func (d *Dispatcher) Close() {
	d.once.Do(func() {
		d.cancel()
		d.wg.Wait()
	})
}
