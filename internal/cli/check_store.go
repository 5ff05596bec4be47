package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// liveState is what `check` reads from the database, when there is one,
// so that it decides exactly as `serve` would: the identity store's users
// and the live overrides (grants, approved requests, suspensions).
type liveState struct {
	st   *store.Store
	dir  *store.Directory
	site string // the school whose overrides are in force (the policy's site.id)
}

// openLive opens the database only if it exists already (check never
// creates one); it returns nil when there is none.
func openLive(ctx context.Context, a *App, cfg *config.Config, dataDir string) (*liveState, error) {
	if !usesPostgres(a.Getenv, cfg) {
		if _, err := os.Stat(filepath.Join(dataDir, "schoolgate.db")); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	st, err := openStore(ctx, a.Getenv, cfg, dataDir, a.Log, time.Now)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	dir, err := store.NewDirectory(st, store.DirectoryOptions{Mapping: func() config.Identity { return cfg.Identity }})
	if err != nil {
		st.Close()
		return nil, err
	}
	return &liveState{st: st, dir: dir, site: configSite(cfg)}, nil
}

func (l *liveState) close() {
	if l != nil {
		l.st.Close()
	}
}

// resolver is the identity resolver serve uses, over this database's
// directory (none when there is no database): `check --user` places a
// user exactly as DNS and the proxy would.
func (l *liveState) resolver() *identity.Resolver {
	if l == nil {
		return identity.NewResolver(nil, nil, nil)
	}
	return identity.NewResolver(nil, l.dir, nil)
}

// overrides are the live overrides in force at t.
func (l *liveState) overrides(ctx context.Context, t time.Time) (*policy.Overrides, error) {
	if l == nil {
		return nil, nil
	}
	list, err := l.st.ActiveOverrides(ctx, l.site, t)
	if err != nil {
		return nil, err
	}
	return policy.NewOverrides(list), nil
}
