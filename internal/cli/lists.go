package cli

import (
	"context"
	"fmt"

	"schoolgate/internal/config"
	"schoolgate/internal/listsync"
	"schoolgate/internal/policy"
)

const listsUsage = `usage: schoolgate lists update -c policy.yaml
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
	u := &listsync.Updater{CacheDir: policy.CacheDir(c, cf.data), Progress: a.Stderr, Log: a.Log}
	res, err := u.Update(ctx, c)
	for _, r := range res {
		status := "updated"
		switch {
		case r.Err != nil:
			status = "FAILED (kept the last good copy): " + safe(r.Err.Error())
		case !r.Changed:
			status = "unchanged"
		}
		fmt.Fprintf(a.Stdout, "%s\t%s\t%d entries\t%s\n", r.Category, r.URL, r.Entries, status)
	}
	return err
}
