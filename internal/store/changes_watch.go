package store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// changePoll is how often a watcher reads the change counters whatever the
// signals say: the bound on how late a change is seen when a notification
// is lost (the LISTEN connection down, a network fault).
const changePoll = time.Second

// ChangeWatch is one subscription to the store's changes (WatchChanges).
// Kinds pile up until taken, so a slow consumer sees every kind that
// changed, once.
type ChangeWatch struct {
	c       chan struct{}
	pending atomic.Uint32
}

// C is signalled when some kind has changed since the last Take.
func (w *ChangeWatch) C() <-chan struct{} { return w.c }

// Take returns the kinds changed since the last Take, and clears them.
func (w *ChangeWatch) Take() Kinds { return Kinds(w.pending.Swap(0)) }

func (w *ChangeWatch) add(k Kinds) {
	w.pending.Or(uint32(k))
	select {
	case w.c <- struct{}{}:
	default:
	}
}

// WatchChanges subscribes to changes made by this process or any other
// using the same database, until ctx ends. The subscription starts with
// every kind pending (load after subscribing, or on the first signal, and
// nothing is missed). Signals come from LISTEN/NOTIFY on PostgreSQL (a
// dedicated connection, reconnected with backoff; after a reconnect every
// kind counts as changed, since notifications may have been lost), at
// once from this process's own commits, and from a poll of the counters
// every second, which is the truth.
func (s *Store) WatchChanges(ctx context.Context) *ChangeWatch {
	w := &ChangeWatch{c: make(chan struct{}, 1)}
	w.add(AllChanges)
	h := s.changes
	h.mu.Lock()
	h.subs[w] = struct{}{}
	if h.stop == nil {
		bg, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); h.run(bg, s) }()
		h.stop = func() { cancel(); <-done }
	}
	h.mu.Unlock()
	context.AfterFunc(ctx, func() {
		h.mu.Lock()
		delete(h.subs, w)
		h.mu.Unlock()
	})
	return w
}

// changeHub is the store's one watcher, shared by every subscription: one
// LISTEN connection per node whatever the number of consumers.
type changeHub struct {
	wake chan struct{} // a local commit or a notification: read now
	// missed is set when notifications may have been lost (the LISTEN
	// connection was (re)made): every kind is reported changed.
	missed atomic.Uint32
	// listenPID is the LISTEN connection's server process (0: none).
	listenPID atomic.Uint32

	mu   sync.Mutex
	subs map[*ChangeWatch]struct{}
	stop func() // stops run and waits (nil until the first subscription)
}

func newChangeHub() *changeHub {
	return &changeHub{wake: make(chan struct{}, 1), subs: map[*ChangeWatch]struct{}{}}
}

// poke makes the watcher read the counters now.
func (h *changeHub) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// close stops the watcher (Store.Close).
func (h *changeHub) close() {
	h.mu.Lock()
	stop := h.stop
	h.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// run reads the counters on every signal and every second, and reports
// the kinds whose version moved to every subscription.
func (h *changeHub) run(ctx context.Context, s *Store) {
	var wg sync.WaitGroup
	defer wg.Wait()
	if s.pgConfig != nil {
		wg.Add(1)
		go func() { defer wg.Done(); h.listen(ctx, s) }()
	}
	t := time.NewTicker(changePoll)
	defer t.Stop()
	var last map[Kinds]int64 // nil until the first read
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := s.changeVersions(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !failing {
				s.log.Warn("changes: cannot read the change counters; what this node holds stays in force", "err", err)
			}
			failing = true
			continue
		}
		if failing {
			s.log.Info("changes: reading the change counters again")
			failing = false
		}
		changed := Kinds(h.missed.Swap(0))
		if last == nil {
			changed = AllChanges
		}
		for k, n := range v {
			if last[k] != n {
				changed |= k
			}
		}
		last = v
		if changed != 0 {
			h.broadcast(changed)
		}
	}
}

func (h *changeHub) broadcast(k Kinds) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.subs {
		w.add(k)
	}
}

// listen keeps a LISTEN connection open, poking the watcher on every
// notification. Each connection made counts as "every kind changed": a
// notification sent while there was none is lost.
func (h *changeHub) listen(ctx context.Context, s *Store) {
	backoff := 100 * time.Millisecond
	down := false
	for ctx.Err() == nil {
		conn, err := h.connect(ctx, s)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !down {
				s.log.Warn("changes: no LISTEN connection to PostgreSQL; retrying (changes are still polled every second)", "err", err)
			}
			down = true
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		if down {
			s.log.Info("changes: LISTEN connection to PostgreSQL made again")
		}
		down, backoff = false, 100*time.Millisecond
		h.listenPID.Store(conn.PgConn().PID())
		h.missed.Store(uint32(AllChanges))
		h.poke()
		for {
			if _, err = conn.WaitForNotification(ctx); err != nil {
				break
			}
			h.poke()
		}
		h.listenPID.Store(0)
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(cctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("changes: LISTEN connection to PostgreSQL lost; reconnecting (changes are still polled every second)", "err", err)
		down = true
	}
}

func (h *changeHub) connect(ctx context.Context, s *Store) (*pgx.Conn, error) {
	cfg := s.pgConfig.Copy()
	cfg.RuntimeParams["application_name"] = "schoolgate-changes"
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(cctx, "LISTEN "+notifyChannel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}
