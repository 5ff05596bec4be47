package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// A node of a trust keeps filtering when its PostgreSQL is unreachable
// (issue 14, "the centre goes away"). Open with Options.Deferred returns a
// Store even when the database does not answer; RunHealth then pings it,
// and the first time it answers runs the migrations and the at-rest key
// check that Open would have run. Health is the one place that knows
// whether the database answers: serve's /metrics, /healthz and the
// console read it, and it logs each change once.

// ErrUnavailable is a database that does not answer now.
var ErrUnavailable = errors.New("database unavailable")

// Health is whether the database answers, since when, and why not.
type Health struct {
	Reachable bool
	Since     time.Time
	Err       string
}

type health struct {
	mu    sync.Mutex
	h     Health
	ready bool // migrations and key check done
	opt   Options
	// changed is closed and replaced at each change (WaitReachable).
	changed chan struct{}
}

// set records reachability; it reports whether it changed.
func (h *health) set(up bool, err error) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if up {
		h.ready = true
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	changed := h.h.Reachable != up || h.h.Since.IsZero()
	if changed {
		h.h.Since = time.Now()
		if h.changed != nil {
			close(h.changed)
		}
		h.changed = make(chan struct{})
	}
	h.h.Reachable, h.h.Err = up, msg
	return changed
}

// Health is the database's state as last seen.
func (s *Store) Health() Health {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	return s.health.h
}

// Reachable reports whether the database answered when last asked.
func (s *Store) Reachable() bool { return s.Health().Reachable }

// Changed is closed at the next change of Health.
func (s *Store) Changed() <-chan struct{} {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	if s.health.changed == nil {
		s.health.changed = make(chan struct{})
	}
	return s.health.changed
}

// deferOpen keeps an unreachable PostgreSQL's pool for RunHealth.
func (s *Store) deferOpen(opt Options, err error) *Store {
	s.health.opt = opt
	s.health.set(false, err)
	s.log.Error("database unreachable at start: serving from the local copy until it answers", "err", err)
	return s
}

// RunHealth pings the database every interval until ctx ends, finishing a
// deferred Open the first time it answers, and logs each change once.
func (s *Store) RunHealth(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.checkHealth(ctx, interval)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Store) checkHealth(ctx context.Context, timeout time.Duration) {
	// A database slow under load is not an unreachable one: seconds.
	pctx, cancel := context.WithTimeout(ctx, max(3*timeout, 3*time.Second))
	defer cancel()
	err := s.w.PingContext(pctx)
	if err == nil {
		err = s.finishOpen(ctx)
	}
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if !s.health.set(err == nil, err) {
		return
	}
	if err != nil {
		s.log.Error("DEGRADED: the database is unreachable; filtering goes on from the last policy, users and overrides", "err", err)
		return
	}
	s.log.Warn("database reachable again: no longer degraded")
}

// finishOpen runs a deferred Open's migrations and key check once.
func (s *Store) finishOpen(ctx context.Context) error {
	s.health.mu.Lock()
	ready, opt := s.health.ready, s.health.opt
	s.health.mu.Unlock()
	if ready {
		return nil
	}
	if err := s.migrate(ctx, len(migrations)); err != nil {
		return err
	}
	if err := s.setupSeal(ctx, opt.SecretKeyFile, opt.MakeSecretKey); err != nil {
		return err
	}
	s.log.Info("database reached: migrations and key check done")
	return nil
}

// sealer is the at-rest key in force; before it is checked (a node that
// started with its database unreachable), one that opens nothing.
func (s *Store) sealer() *sealer {
	if sl := s.seal.Load(); sl != nil {
		return sl
	}
	return &sealer{}
}
