package cli

import (
	"context"
	"errors"
	"fmt"

	"schoolgate/internal/config"
	"schoolgate/internal/listsync"
	"schoolgate/internal/policy"
)

const listsUsage = `usage: schoolgate lists update -c policy.yaml [--force] [--by NAME]
       schoolgate lists update --pushed [--force] [--by NAME]
Downloads every url: list source into the list cache; on failure the last good copy stays.
With --pushed, the url: lists of the policy versions in the database (SCHOOLGATE_POSTGRES), stored
there as a new version wherever one changed: the nodes load them from the database.`

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
	by := fs.String("by", "", "who runs it (free text, in the audit trail when there is a database; default: the login name)")
	pushed := fs.Bool("pushed", false, "update the url: lists of the policy versions in the database instead of -c's")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *pushed {
		if cf.config != "" {
			return fmt.Errorf("%w: --pushed updates the database's versions: give no -c", ErrUsage)
		}
		return listsUpdatePushed(ctx, a, &cf, *force, *by)
	}
	path, err := cf.configPath(a)
	if err != nil {
		return err
	}
	c, err := config.LoadComposed(path)
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
	printListResults(a, res)
	if aerr := auditListsUpdate(ctx, a, c, cf.data, *by, res); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}

// auditListsUpdate records the update in the audit trail when there is a
// database (lists update never creates one): who, and what changed or
// failed, by source.
func auditListsUpdate(ctx context.Context, a *App, c *config.Config, dataDir, by string, res []listsync.Result) error {
	live, err := openLive(ctx, a, c, dataDir)
	if err != nil || live == nil {
		return err
	}
	defer live.close()
	summary := map[string]int{}
	for _, r := range res {
		switch {
		case r.Err != nil:
			summary["failed"]++
		case r.Changed:
			summary["updated"]++
		default:
			summary["unchanged"]++
		}
	}
	if err := live.st.Audit(ctx, cliActor(a, by), "lists.update", c.File, nil, summary); err != nil {
		return fmt.Errorf("lists updated but not recorded in the audit trail: %w", err)
	}
	return nil
}

// printListResults writes one line per source, the only place a failure
// is described.
func printListResults(a *App, res []listsync.Result) {
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
}
