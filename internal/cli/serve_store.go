package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/activity"
	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// storeParts is what storage adds to serve for the other parts: the
// database and the user directory (identity.Directory).
type storeParts struct {
	store *store.Store
	dir   *store.Directory
}

// openStorage opens the database, starts the activity writer, the live
// overrides feed and the retention job, and registers their closers on
// d.closers (they run in reverse: the writer drains first, then the
// background jobs stop, then the database closes).
func (d *serveDeps) openStorage(ctx context.Context) error {
	cfg := d.engine.Snapshot().Config()
	if err := checkIdentity(cfg.File, d.engine.Snapshot()); err != nil {
		return err
	}
	opt, err := storeOptions(os.Getenv, cfg, d.dataDir, d.log, d.now)
	if err != nil {
		return err
	}
	if d.node != nil {
		d.node.storeOptions(&opt)
	}
	opt.MakeSecretKey = true             // serve makes the at-rest key; commands only use it
	opt.Deferred = opt.PostgresDSN != "" // a trust's node starts without its database (serve_offline.go)
	st, err := store.Open(ctx, opt)
	if err != nil {
		return err
	}
	d.st.store = st
	d.closers = append(d.closers, st.Close)
	if err := st.EnsureSite(ctx, d.nodeSite(), cfg.Site.Name); err != nil { // naming a new site creates it
		if st.Reachable() {
			return err
		}
		// Started without the database: the site is named again at the
		// next start (its people and records carry it meanwhile).
		d.log.Warn("the site is not recorded in the database yet: it does not answer", "site", d.nodeSite())
	}

	checkPassword, err := ldapPasswords(cfg)
	if err != nil {
		return err
	}
	d.st.dir, err = store.NewDirectory(st, store.DirectoryOptions{
		Mapping:       func() config.Identity { return d.engine.Snapshot().Config().Identity },
		Now:           d.now,
		CheckPassword: checkPassword,
	})
	if err != nil {
		return err
	}

	feed := &store.OverrideFeed{Store: st, Engine: d.engine, Log: d.log, Site: d.nodeSite()}
	if err := d.startOffline(ctx, feed); err != nil {
		return err
	}
	bg, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(4)
	go func() {
		defer wg.Done()
		d.runLDAPSync(bg, cfg)
	}()
	go func() {
		defer wg.Done()
		d.runOverrideFeed(bg, feed)
	}()
	go func() {
		defer wg.Done()
		st.RunRetention(bg, func() config.Retention { return d.engine.Snapshot().Config().Retention }, time.Hour, d.log)
	}()
	go func() {
		defer wg.Done()
		st.RunRollups(bg, time.Minute, d.log)
	}()
	d.closers = append(d.closers, func() error { cancel(); wg.Wait(); return nil })

	d.engine.OnReload(func(s *policy.Snapshot) {
		if err := checkIdentity(s.Config().File, s); err != nil {
			d.log.Error("reloaded policy: identity section is wrong: people it maps may be placed by network only", "err", err)
		}
		err := st.Audit(context.Background(), store.Actor{Name: "schoolgate", From: "serve"}, "policy.reload", s.Config().File, nil,
			map[string]int{"entries": s.Entries(), "categories": len(s.Categories()), "groups": len(s.Groups())})
		if err != nil {
			d.log.Error("audit: policy reload not recorded", "err", err)
		}
	})

	rolled := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "schoolgate_activity_rolled_up_to_seconds",
		Help: "End of the newest hour whose activity is rolled up into the hourly aggregates (Unix time; 0: none yet). Far behind time() - 3600: roll-ups have stopped."},
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if !st.Reachable() {
				return 0
			}
			t, err := st.RolledUpTo(ctx)
			if err != nil || t.IsZero() {
				return 0
			}
			return float64(t.Unix())
		})
	if err := d.registry.Register(rolled); err != nil {
		return err
	}
	w, err := activity.NewWriter(st, activity.WriterOptions{Registerer: d.registry, Logger: d.log,
		Writers: st.WriteConcurrency(), SpoolDir: activitySpoolDir(d.dataDir), SpoolMax: int64(cfg.Activity.SpoolMax)})
	if err != nil {
		return err
	}
	d.activity = siteSink{next: w, site: d.nodeSite()}
	d.closers = append(d.closers, func() error {
		err := w.Close()
		d.log.Info("activity log drained", "written", w.Written(), "dropped", w.Dropped(), "spooled", w.Spooled())
		return err
	})
	d.log.Info("storage open", "dialect", string(st.Dialect()))
	return nil
}

// openStore opens the database the policy and environment name: PostgreSQL
// when SCHOOLGATE_POSTGRES or storage.postgres_file gives a DSN, else
// SQLite in the data directory.
func openStore(ctx context.Context, getenv func(string) string, cfg *config.Config, dataDir string, log *slog.Logger, now func() time.Time) (*store.Store, error) {
	opt, err := storeOptions(getenv, cfg, dataDir, log, now)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, opt)
}

// storeOptions are openStore's options; the second-factor secrets' key is
// secrets.key in the data directory.
func storeOptions(getenv func(string) string, cfg *config.Config, dataDir string, log *slog.Logger, now func() time.Time) (store.Options, error) {
	opt := store.Options{Logger: log, Now: now, OSUser: osAccount()}
	if dataDir != "" {
		opt.SecretKeyFile = filepath.Join(dataDir, "secrets.key")
	}
	dsn := strings.TrimSpace(getenv("SCHOOLGATE_POSTGRES"))
	if dsn == "" && cfg.Storage.PostgresFile != "" {
		b, err := os.ReadFile(cfg.Path(cfg.Storage.PostgresFile))
		if err != nil {
			return opt, fmt.Errorf("storage.postgres_file: %w", err)
		}
		dsn = strings.TrimSpace(string(b))
		if dsn == "" {
			return opt, fmt.Errorf("storage.postgres_file %s: %w", cfg.Storage.PostgresFile, errors.New("the file is empty"))
		}
	}
	if dsn != "" {
		opt.PostgresDSN = dsn
	} else {
		opt.SQLitePath = filepath.Join(dataDir, "schoolgate.db")
	}
	return opt, nil
}

// cliStore opens the store for a command line: the policy file (for the
// storage, identity and retention sections) and the database.
func cliStore(ctx context.Context, a *App, cf *commonFlags) (*store.Store, *config.Config, error) {
	path, err := cf.configPath(a)
	if errors.Is(err, ErrNoData) {
		return nil, nil, cf.needData()
	}
	if err != nil {
		return nil, nil, err
	}
	cfg, err := config.LoadComposed(path)
	if err != nil {
		return nil, nil, err
	}
	if !usesPostgres(a.Getenv, cfg) {
		if err := cf.needData(); err != nil {
			return nil, nil, err
		}
	}
	if err := os.MkdirAll(cf.data, 0o750); err != nil {
		return nil, nil, fmt.Errorf("data directory: %w", err)
	}
	st, err := openStore(ctx, a.Getenv, cfg, cf.data, a.Log, nil)
	if err != nil {
		return nil, nil, err
	}
	return st, cfg, nil
}

// usesPostgres reports whether the store is PostgreSQL (no data
// directory needed for it).
func usesPostgres(getenv func(string) string, cfg *config.Config) bool {
	return strings.TrimSpace(getenv("SCHOOLGATE_POSTGRES")) != "" || cfg.Storage.PostgresFile != ""
}

// cliActor is who an administration command acts as: --by (free text),
// else the sudo user, else the operating-system account; the audit record
// keeps that account too.
func cliActor(a *App, by string) store.Actor {
	account := osAccount()
	if by == "" {
		by = a.Getenv("SUDO_USER")
	}
	if by == "" {
		by = account
	}
	return store.Actor{Name: by, From: cliOrigin(), OSUser: account}
}
