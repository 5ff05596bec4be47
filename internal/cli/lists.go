package cli

import (
	"context"
	"fmt"

	"schoolgate/internal/config"
	"schoolgate/internal/listsync"
	"schoolgate/internal/policy"
)

const listsUsage = `usage: schoolgate lists update -c policy.yaml [--force]
Downloads every url: list source into the list cache; on failure the last good copy stays.`

func runLists(ctx context.Context, a *App, args []string) error {
	if err := helpFor(a, args, listsUsage); err != nil {
		return err
	}
	if len(args) == 0 || args[0] != "update" {
		return fmt.Errorf("%w: a subcommand\n%s", ErrUsage, listsUsage)
	}
	fs := newFlags(a, "lists update")
	withUsage(a, fs, listsUsage)
	var cf commonFlags
	cf.register(a, fs)
	force := fs.Bool("force", false, "accept a download with fewer than half the entries of the copy it replaces")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	path, err := cf.configPath(a)
	if err != nil {
		return err
	}
	c, err := config.Load(path)
	if err != nil {
		return err
	}
	if c.Lists.CacheDir == "" {
		// The cache is DATA/lists: do not make a data directory here that
		// the store commands would then take for serve's.
		if err := cf.needData(); err != nil {
			return err
		}
	}
	u := &listsync.Updater{CacheDir: policy.CacheDir(c, cf.data), Progress: a.Stderr, Force: *force}
	res, err := u.Update(ctx, c)
	// One line per source, the only place a failure is described.
	for _, r := range res {
		status := "updated"
		switch {
		case r.Err != nil && r.Kept:
			status = fmt.Sprintf("FAILED (kept the last good copy, %d entries): %s", r.Entries, safe(r.Err.Error()))
		case r.Err != nil:
			status = fmt.Sprintf("FAILED (no previous copy: category %s has no entries from this source): %s", r.Category, safe(r.Err.Error()))
		case r.NotModified:
			status = "not modified"
		case !r.Changed:
			status = "unchanged"
		}
		fmt.Fprintf(a.Stdout, "%s\t%s\t%d entries\t%s\n", r.Category, r.URL, r.Entries, status)
	}
	return err
}
