package alerts

import (
	"context"
	"errors"
	"hash/maphash"
	"log/slog"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/activity"
	"schoolgate/internal/identity"
	"schoolgate/internal/metricreg"
	"schoolgate/internal/store"
)

// Store is what the engine writes alerts to and reads missed events from
// (*store.Store implements it).
type Store interface {
	RaiseAlert(ctx context.Context, h store.AlertHit) (int64, bool, error)
	NewestEvent(ctx context.Context) (int64, time.Time, error)
	EventsAfter(ctx context.Context, site string, after int64, limit int, fn func(id int64, e *activity.Event) error) (int64, error)
	ClaimAlertCursor(ctx context.Context, site, holder string, lease time.Duration) (int64, bool, error)
	AdvanceAlertCursor(ctx context.Context, site, holder string, to int64) error
}

// Options configure an Engine; zero values take the defaults.
type Options struct {
	Store    Store
	Notifier Notifier // nil: nobody is told but the console
	// Roles finds a person's roles, to tell alerts about staff (any role
	// but pupil and visitor) from alerts about pupils. nil: all pupils.
	Roles func(ctx context.Context, username string) ([]identity.Role, error)
	Now   func() time.Time
	// QueueSize is the most events waiting to be judged (default 65536).
	QueueSize int
	// Holder names this node for the cursor's lease (default "node").
	Holder string
	// Shared: several nodes write the activity log, so the lease holder
	// judges every stored event rather than its own live stream.
	Shared bool
	// FlushEvery is how often hits are stored (default 100ms);
	// CursorEvery how often the cursor is renewed and advanced (default
	// 1s).
	FlushEvery, CursorEvery time.Duration
	Registerer              prometheus.Registerer
	Log                     *slog.Logger
}

// item is one thing to judge: an event, or a concern of a kind.
type item struct {
	ev   activity.Event
	kind string
}

// Engine judges events against the rules in force. Log and Concern may be
// called from any goroutine; everything else runs on Run's goroutine.
type Engine struct {
	opt      Options
	rules    atomic.Pointer[Rules]
	q        *queue
	concerns chan item
	dropped  atomic.Uint64
	log      *slog.Logger

	mDropped, mEvents, mRaised, mCaught prometheus.Counter

	// Run's goroutine only.
	win     *windows
	pending map[pendingKey]*store.AlertHit
	order   []pendingKey
	seed    maphash.Seed
	// Fingerprints of events judged live (until the cursor is past
	// them) and from the store (until the queue is), with the event's
	// or the judging's Unix time in nanoseconds: no pointers for the
	// collector to scan.
	seenLive  map[uint64]int64
	seenStore map[uint64]int64
	catching  bool
	lastDrops uint64
	owner     bool
	lastRules *Rules

	// out takes batches of hits to the writer goroutine (Run's);
	// written is closed when it has stored the last.
	out     chan []store.AlertHit
	written chan struct{}
}

type pendingKey struct {
	rule    string
	subject string
}

// maxPending bounds the distinct (rule, person) hits held between two
// flushes; past it they are stored at once.
const maxPending = 10_000

// maxSeen bounds the fingerprints of events judged live and not yet
// known to be behind the cursor.
const maxSeen = 1 << 21

// maxHitEvents is the most events copied per hit between two flushes.
const maxHitEvents = 10

// catchUpPage is the stored events read at a time; catchUpPages the most
// pages a cursor tick reads before serving the queue again (a catch-up
// that starved the queue would make the drops it is there to repair).
const (
	catchUpPage  = 5000
	catchUpPages = 2
	leaseFor     = 15 * time.Second
)

// New builds an engine over the rules rs (see Swap).
func New(rs *Rules, opt Options) (*Engine, error) {
	if opt.QueueSize <= 0 {
		opt.QueueSize = 1 << 16
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Holder == "" {
		opt.Holder = "node"
	}
	if opt.FlushEvery <= 0 {
		opt.FlushEvery = 100 * time.Millisecond
	}
	if opt.CursorEvery <= 0 {
		opt.CursorEvery = time.Second
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{opt: opt, q: newQueue(opt.QueueSize), concerns: make(chan item, 256), log: opt.Log,
		win: newWindows(), pending: map[pendingKey]*store.AlertHit{}, seed: maphash.MakeSeed(),
		seenLive: map[uint64]int64{}, seenStore: map[uint64]int64{}, catching: true}
	var err error
	e.mDropped = metricreg.Register(opt.Registerer, prometheus.NewCounter(prometheus.CounterOpts{Name: "schoolgate_alerts_dropped_total",
		Help: "Events the alert rules' queue had no room for (they are then judged from the stored activity log)."}), &err)
	e.mEvents = metricreg.Register(opt.Registerer, prometheus.NewCounter(prometheus.CounterOpts{Name: "schoolgate_alerts_events_total",
		Help: "Events judged by the alert rules."}), &err)
	e.mCaught = metricreg.Register(opt.Registerer, prometheus.NewCounter(prometheus.CounterOpts{Name: "schoolgate_alerts_caught_up_total",
		Help: "Events the alert rules judged from the stored activity log (missed live)."}), &err)
	e.mRaised = metricreg.Register(opt.Registerer, prometheus.NewCounter(prometheus.CounterOpts{Name: "schoolgate_alerts_raised_total",
		Help: "New alerts raised (repeats folded into an open alert are not counted)."}), &err)
	if err != nil {
		return nil, err
	}
	e.rules.Store(rs)
	return e, nil
}

// Swap puts a newly compiled rule set in force.
func (e *Engine) Swap(rs *Rules) { e.rules.Store(rs) }

// Rules is the rule set in force.
func (e *Engine) Rules() *Rules { return e.rules.Load() }

var _ activity.Sink = (*Engine)(nil)

// Log queues an event for the rules; it never waits: with the queue full
// the event is dropped, counted, and judged later from the store.
func (e *Engine) Log(ev activity.Event) {
	if !e.q.push(&item{ev: ev}) {
		e.dropped.Add(1)
		e.mDropped.Inc()
	}
}

// Dropped is the number of events Log had no room for.
func (e *Engine) Dropped() uint64 { return e.dropped.Load() }

// Concern tells the rules of a "report a concern" of kind (got-through,
// should-block, other) just stored; ev is who made it. It waits at most a
// second for room (concerns are few, and each matters).
func (e *Engine) Concern(ctx context.Context, kind string, ev activity.Event) {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case e.concerns <- item{ev: ev, kind: kind}:
	case <-t.C:
		e.log.Error("alerts: a concern was not judged: the rules' queue is full")
	case <-ctx.Done():
	}
}

// Run judges events until ctx ends, storing hits every FlushEvery and
// keeping the cursor every CursorEvery.
func (e *Engine) Run(ctx context.Context) error {
	flush := time.NewTicker(e.opt.FlushEvery)
	defer flush.Stop()
	cursor := time.NewTicker(e.opt.CursorEvery)
	defer cursor.Stop()
	// The writer outlives ctx by a few seconds, to store the last hits.
	wctx, wcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer wcancel()
	e.out, e.written = make(chan []store.AlertHit, 1), make(chan struct{})
	go e.writeHits(wctx, e.out, e.written)
	e.keepCursor(ctx)
	for {
		select {
		case <-ctx.Done():
			e.drain()
			close(e.out)
			e.out = nil
			stop, cancel := context.WithTimeout(wctx, 5*time.Second)
			e.flush(stop)
			select {
			case <-e.written:
			case <-stop.Done():
			}
			cancel()
			return nil
		case c := <-e.q.full:
			e.liveChunk(c)
		case it := <-e.concerns:
			e.judge(e.current(), &it.ev, it.kind)
		case <-flush.C:
			if c := e.q.partial(); c != nil {
				e.liveChunk(c)
			}
			e.flush(ctx)
		case <-cursor.C:
			e.flush(ctx)
			e.keepCursor(ctx)
		}
	}
}

// drain judges what is queued (at shutdown, and in tests).
func (e *Engine) drain() {
	for {
		select {
		case c := <-e.q.full:
			e.liveChunk(c)
		default:
			if c := e.q.partial(); c != nil {
				e.liveChunk(c)
			}
			return
		}
	}
}

// liveChunk judges a chunk of queued events and gives it back.
func (e *Engine) liveChunk(c []item) {
	for i := range c {
		e.live(&c[i])
	}
	e.q.recycle(c)
}

// current is the rule set in force; after a swap the old rules'
// threshold state is let go.
func (e *Engine) current() *Rules {
	rs := e.rules.Load()
	if rs != e.lastRules {
		if e.lastRules != nil {
			e.win.forget(rs)
		}
		e.lastRules = rs
	}
	return rs
}

// live judges an event from the queue. While catching up it remembers
// the event, so that the same event read back from the store is skipped,
// and skips one the store path already judged.
func (e *Engine) live(it *item) {
	if e.opt.Shared || !e.owner {
		return // the lease holder judges the stored events
	}
	rs := e.current()
	if !rs.applies(&it.ev, "") {
		return // no rule wants it: judging it again later changes nothing
	}
	// Remembered until its stored twin is behind the cursor: a drop
	// found at the next tick sends the engine back over the stored
	// events, and this one must not count twice.
	fp := e.fingerprint(&it.ev)
	if _, done := e.seenStore[fp]; done {
		delete(e.seenStore, fp)
		return
	}
	if len(e.seenLive) < maxSeen {
		e.seenLive[fp] = it.ev.Time.UnixNano()
	}
	e.judge(rs, &it.ev, "")
}

// fingerprint identifies an event the same way live and as stored (the
// store keeps times to the microsecond).
func (e *Engine) fingerprint(ev *activity.Event) uint64 {
	var h maphash.Hash
	h.SetSeed(e.seed)
	var b [8]byte
	us := ev.Time.UnixMicro()
	for i := range b {
		b[i] = byte(us >> (8 * i))
	}
	h.Write(b[:])
	a := ev.Client.Unmap().As16() // the zero Addr hashes as ::
	h.Write(a[:])
	for _, s := range [...]string{ev.User, ev.Host, ev.URL, ev.Verdict, ev.Rule, ev.Search, ev.Action, string(ev.Point)} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	return h.Sum64()
}

func clientString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.Unmap().String()
}

// judge runs the rules over one event.
func (e *Engine) judge(rs *Rules, ev *activity.Event, kind string) {
	e.mEvents.Inc()
	for _, r := range rs.rules {
		if !r.applies(rs, ev, kind) {
			continue
		}
		n, first := int64(1), ev.Time
		if r.threshold != nil {
			who := subjectOf(ev)
			if r.threshold.byAddr {
				who = "addr:" + clientString(ev.Client)
			}
			reached, oldest := e.win.add(r, who, ev.Time)
			if !reached {
				continue
			}
			n, first = int64(r.threshold.count), oldest
		}
		e.hit(rs, r, ev, n, first)
	}
}

// subjectOf is who an event is about: the user, else the address.
func subjectOf(ev *activity.Event) string {
	if ev.User != "" {
		return ev.User
	}
	return "addr:" + clientString(ev.Client)
}

// hit adds n events of rule r, the first at first and the last ev, to
// the pending hit of its subject.
func (e *Engine) hit(rs *Rules, r *Rule, ev *activity.Event, n int64, first time.Time) {
	k := pendingKey{r.Name, subjectOf(ev)}
	if r.threshold != nil && r.threshold.byAddr {
		k.subject = "addr:" + clientString(ev.Client)
	}
	h := e.pending[k]
	if h == nil {
		sev := r.Severity
		if ev.Illegal {
			sev = 5 // an illegal category is always an immediate risk
		}
		h = &store.AlertHit{Site: rs.Site, Rule: r.Name, Title: r.Title, Severity: sev, Subject: k.subject, User: ev.User,
			Client: clientString(ev.Client), Circumvention: r.Circumvention(), First: first, Last: ev.Time,
			EscalateAfter: r.Escalate, Fold: rs.Fold}
		if len(ev.Groups) > 0 {
			h.Group = ev.Groups[0]
		}
		e.pending[k] = h
		e.order = append(e.order, k)
	}
	h.Count += n
	if first.Before(h.First) {
		h.First = first
	}
	if ev.Time.After(h.Last) {
		h.Last = ev.Time
	}
	if len(h.Events) < maxHitEvents {
		h.Events = append(h.Events, store.AlertEventOf(ev))
	}
	if len(e.pending) >= maxPending {
		e.flush(context.Background())
	}
}

// flush hands the pending hits, in the order first seen, to the writer
// goroutine that Run starts (so that judging never waits on the
// database, whose one write connection the activity log shares); while
// the writer is busy they stay pending and go on folding. Without Run
// (tests, the dry run) they are stored here and now.
func (e *Engine) flush(ctx context.Context) {
	if len(e.order) == 0 {
		return
	}
	hits := make([]store.AlertHit, 0, len(e.order))
	for _, k := range e.order {
		hits = append(hits, *e.pending[k])
	}
	// The most severe first: a burst of advisory hits (an hours rule at
	// night fires for every pupil) must not keep a severity-5 alert
	// waiting behind it in the same batch.
	slices.SortStableFunc(hits, func(a, b store.AlertHit) int { return b.Severity - a.Severity })
	if e.out != nil {
		select {
		case e.out <- hits:
		default:
			return // the writer is busy: the hits stay pending
		}
	} else {
		e.store(ctx, hits)
	}
	clear(e.pending)
	e.order = e.order[:0]
}

// writeHits stores the batches flush hands over until out is closed,
// then closes written.
func (e *Engine) writeHits(ctx context.Context, out <-chan []store.AlertHit, written chan<- struct{}) {
	defer close(written)
	for hits := range out {
		e.store(ctx, hits)
	}
}

// store stores hits and tells the notifier of each new alert. A hit the
// database could not take is tried again (after a pause) until ctx ends;
// its contacts are told at once all the same (Notice.ID 0: not stored
// yet), so an alert raised while the database is unreachable still
// reaches them by e-mail when the mail server answers, and not a second
// time when it is stored.
func (e *Engine) store(ctx context.Context, hits []store.AlertHit) {
	staff := map[string]bool{}
	for i := range hits {
		h := &hits[i]
		if h.User != "" && e.opt.Roles != nil {
			isStaff, seen := staff[h.User]
			if !seen {
				roles, err := e.opt.Roles(ctx, h.User)
				isStaff = err == nil && anyStaff(roles)
				staff[h.User] = isStaff
			}
			h.AboutStaff = isStaff
		}
		told := false
		for try := 0; ; try++ {
			id, created, err := e.opt.Store.RaiseAlert(ctx, *h)
			if err == nil {
				if created {
					e.mRaised.Inc()
					if e.opt.Notifier != nil && !told {
						e.opt.Notifier.Raised(ctx, Notice{ID: id, Site: h.Site, Severity: h.Severity, Rule: h.Rule, Title: h.Title, Group: h.Group,
							Circumvention: h.Circumvention, At: h.First, EscalateAfter: h.EscalateAfter})
					}
				}
				break
			}
			if errors.Is(err, store.ErrInvalid) {
				e.log.Error("alerts: a hit refused by the store", "rule", h.Rule, "err", err)
				break
			}
			e.log.Error("alerts: storing an alert; trying again", "rule", h.Rule, "err", err)
			if !told && e.opt.Notifier != nil {
				told = true
				e.opt.Notifier.Raised(ctx, Notice{Site: h.Site, Severity: h.Severity, Rule: h.Rule, Title: h.Title, Group: h.Group,
					Circumvention: h.Circumvention, At: h.First, EscalateAfter: h.EscalateAfter})
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(min(time.Duration(try+1)*time.Second, 10*time.Second)):
			}
		}
	}
}

func anyStaff(roles []identity.Role) bool {
	for _, r := range roles {
		if r != identity.RolePupil && r != identity.RoleVisitor {
			return true
		}
	}
	return false
}
