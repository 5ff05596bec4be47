package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// A trust's node keeps filtering when its PostgreSQL is unreachable, at
// start-up and while running (issue 14). The store knows whether the
// database answers (store.Health); serve keeps a local copy of the users
// and the overrides in force in the data directory, written after every
// successful load, and starts from it when the database does not answer.
// Unknown people are placed by the policy's lists and networks only (the
// stricter default), and only credentials verified before still log in.

// localCopyFile is the local copy's name in the data directory.
const localCopyFile = "local-copy.json"

// localCopyEvery is how often the local copy is refreshed (and after every
// change of the overrides).
const localCopyEvery = 10 * time.Second

// healthEvery is how often the database is pinged.
const healthEvery = time.Second

// startOffline publishes the overrides (from the database, else from the
// local copy), registers the degraded gauge and starts the health check
// and the local copy's writer.
func (d *serveDeps) startOffline(ctx context.Context, feed *store.OverrideFeed) error {
	st := d.st.store
	path := filepath.Join(d.dataDir, localCopyFile)
	if st.Reachable() {
		if err := feed.Load(ctx); err != nil {
			return fmt.Errorf("live overrides: %w", err)
		}
	} else {
		d.loadLocalCopy(path)
	}
	degraded := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "schoolgate_degraded",
		Help:        "1 while the node works without a part it needs (reason: database: PostgreSQL unreachable, filtering from the local copy).",
		ConstLabels: prometheus.Labels{"reason": "database"}},
		func() float64 {
			if st.Reachable() {
				return 0
			}
			return 1
		})
	if err := d.registry.Register(degraded); err != nil {
		return err
	}
	saved := make(chan struct{}, 1)
	published := feed.Published
	feed.Published = func(n int) {
		if published != nil {
			published(n)
		}
		select {
		case saved <- struct{}{}:
		default:
		}
	}
	bg, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); st.RunHealth(bg, healthEvery) }()
	go func() { defer wg.Done(); d.runHeartbeat(bg) }()
	go func() { defer wg.Done(); d.keepLocalCopy(bg, path, saved) }()
	d.closers = append(d.closers, func() error { cancel(); wg.Wait(); return nil })
	return nil
}

// loadLocalCopy puts the local copy's users and overrides in force; with
// none, people are placed by network only and no override applies.
func (d *serveDeps) loadLocalCopy(path string) {
	c, err := store.LoadLocalCopy(path)
	if err != nil {
		d.log.Error("DEGRADED: no usable local copy: users are placed by the policy's lists and networks only, and no override applies until the database answers", "err", err)
		return
	}
	d.st.dir.SetLocal(c.Users)
	d.engine.SetOverrides(policy.NewOverrides(c.Overrides))
	d.log.Warn("DEGRADED: filtering from the local copy until the database answers", "written", c.Written.Format(time.RFC3339),
		"users", len(c.Users), "overrides", len(c.Overrides))
}

// keepLocalCopy writes the local copy every localCopyEvery, and after
// every publish of the overrides, while the database answers.
func (d *serveDeps) keepLocalCopy(ctx context.Context, path string, saved <-chan struct{}) {
	t := time.NewTicker(localCopyEvery)
	defer t.Stop()
	failing := false
	for {
		if d.st.store.Reachable() {
			err := d.writeLocalCopy(ctx, path)
			switch {
			case err != nil && !failing && ctx.Err() == nil:
				d.log.Warn("local copy not written; the previous one stays", "err", err)
				failing = true
			case err == nil:
				failing = false
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-saved:
		}
	}
}

func (d *serveDeps) writeLocalCopy(ctx context.Context, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := d.st.store.ReadLocalCopy(ctx, d.nodeSite())
	if err != nil {
		return err
	}
	if err := store.WriteLocalCopy(path, c); err != nil {
		return err
	}
	d.st.dir.SetLocal(c.Users)
	return nil
}

// runOverrideFeed runs the live overrides feed, starting it again after a
// pause when it stops on a database error (the overrides in force stay).
func (d *serveDeps) runOverrideFeed(ctx context.Context, feed *store.OverrideFeed) {
	for {
		err := feed.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			d.log.Debug("live overrides feed: the database does not answer; trying again", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// degraded is why the node works in part ("" when it is whole): the admin
// listener's /healthz and the console say it.
func (d *serveDeps) degraded() string {
	if d.st.store != nil && !d.st.store.Reachable() {
		return "database"
	}
	return ""
}
