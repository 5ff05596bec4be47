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
// change made through this Store, and within a second of a change made by
// any other process or node (it follows the overrides change counter,
// WatchChanges, which every override write bumps in the same transaction).
type OverrideFeed struct {
	Store  *Store
	Engine OverrideSetter
	// Site is the node's school: only its overrides are loaded (a grant
	// in one school is never enforced in another). Required: a feed with
	// no site loads nothing and says so.
	Site string
	Log  *slog.Logger
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

// Run publishes, then republishes on every change until ctx ends. A
// refresh that fails leaves the last set in force and is tried again on
// the next signal (the watcher polls every second).
func (f *OverrideFeed) Run(ctx context.Context) error {
	log := f.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := f.Store.WatchChanges(ctx)
	failing := false
	var retry <-chan time.Time // while failing: try again after a second
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.C():
			if !w.Take().Has(ChangeOverrides) && !failing {
				continue
			}
		case <-retry:
		}
		if err := f.Load(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !failing {
				log.Warn("live overrides: cannot refresh; the last set stays in force", "err", err)
			}
			failing, retry = true, time.After(time.Second)
			continue
		}
		if failing {
			log.Info("live overrides: refreshing again")
		}
		failing, retry = false, nil
	}
}
