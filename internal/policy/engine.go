package policy

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"schoolgate/internal/config"
)

// Engine holds the current snapshot and the current live overrides, each
// swapped atomically: a decision never waits for a reload, and a reload
// that fails keeps the old snapshot running.
type Engine struct {
	snap      atomic.Pointer[Snapshot]
	overrides atomic.Pointer[Overrides]

	mu       sync.Mutex // serialises reloads
	path     string
	opt      Options
	log      *slog.Logger
	onReload []func(*Snapshot)
	garden   garden // the portal's discovered walled-garden names (garden.go)
}

// NewEngine loads and compiles the policy file at path.
func NewEngine(path string, opt Options) (*Engine, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{path: path, opt: opt, log: opt.Logger}
	s, err := LoadFile(path, opt)
	if err != nil {
		return nil, err
	}
	e.snap.Store(s)
	return e, nil
}

// NewEngineFrom wraps an already compiled snapshot (tests, tools).
func NewEngineFrom(s *Snapshot) *Engine {
	e := &Engine{log: slog.New(slog.DiscardHandler)}
	e.snap.Store(s)
	return e
}

// LoadFile reads and compiles a policy file.
func LoadFile(path string, opt Options) (*Snapshot, error) {
	c, err := config.LoadComposed(path)
	if err != nil {
		return nil, err
	}
	return Compile(c, opt)
}

// Snapshot is the policy in force now.
func (e *Engine) Snapshot() *Snapshot { return e.snap.Load() }

// Overrides are the live overrides in force now (possibly nil).
func (e *Engine) Overrides() *Overrides { return e.overrides.Load() }

// SetOverrides replaces the live overrides; decisions see them at once.
func (e *Engine) SetOverrides(o *Overrides) { e.overrides.Store(o) }

// OnReload registers f to run after every successful reload.
func (e *Engine) OnReload(f func(*Snapshot)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onReload = append(e.onReload, f)
}

// Reload builds a new snapshot from the policy file beside the running
// one and swaps it in. On error the running snapshot stays.
func (e *Engine) Reload() (*Snapshot, error) { return e.ReloadIf(nil) }

// Decide decides q against the current snapshot and overrides. It fills
// q.Overrides when the caller left it nil.
func (e *Engine) Decide(q *Query) (Decision, *Snapshot) {
	s := e.snap.Load()
	if q.Overrides == nil {
		q.Overrides = e.overrides.Load()
	}
	return s.Decide(q), s
}
