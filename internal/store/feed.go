package store

import (
	"context"
	"log/slog"
	"time"

	"schoolgate/internal/policy"
)

// OverrideSetter is the part of the policy engine the feed drives.
type OverrideSetter interface {
	SetOverrides(*policy.Overrides)
}

// OverrideFeed keeps an engine's live overrides current: at once after a
// change made through this Store, and within Interval of a change made by
// any other process or node (it polls a change counter that every override
// write bumps in the same transaction).
type OverrideFeed struct {
	Store  *Store
	Engine OverrideSetter
	// Site is the node's school: only its overrides are loaded (a grant
	// in one school is never enforced in another). Required: a feed with
	// no site loads nothing and says so.
	Site     string
	Interval time.Duration // default 500ms
	Log      *slog.Logger
	// Published, when set, is called after every publish with the number
	// of active overrides (tests and metrics).
	Published func(n int)
}

// Load publishes the active overrides once.
func (f *OverrideFeed) Load(ctx context.Context) error {
	list, err := f.Store.ActiveOverrides(ctx, f.Site, f.Store.now())
	if err != nil {
		return err
	}
	f.Engine.SetOverrides(policy.NewOverrides(list))
	if f.Published != nil {
		f.Published(len(list))
	}
	return nil
}

// Run publishes, then republishes on every change until ctx ends.
func (f *OverrideFeed) Run(ctx context.Context) error {
	interval := f.Interval
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	log := f.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	last, err := f.Store.overridesVersion(ctx)
	if err != nil {
		return err
	}
	if err := f.Load(ctx); err != nil {
		return err
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-f.Store.changed:
		case <-t.C:
		}
		v, err := f.Store.overridesVersion(ctx)
		if err == nil && v == last {
			continue
		}
		if err == nil {
			err = f.Load(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !failing {
				log.Warn("live overrides: cannot refresh; the last set stays in force", "err", err)
			}
			failing = true
			continue
		}
		if failing {
			log.Info("live overrides: refreshing again")
		}
		failing, last = false, v
	}
}
