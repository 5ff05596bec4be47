package cli

import (
	"context"
	"fmt"

	"schoolgate/internal/config"
	"schoolgate/internal/ldapsync"
	"schoolgate/internal/store"
)

// usersSync applies identity.ldap the way `users import --prune` applies
// a CSV, with the same report and audit records. A directory that cannot
// be read changes nothing.
func usersSync(ctx context.Context, a *App, st *store.Store, cfg *config.Config, by store.Actor, asJSON bool) error {
	l := cfg.Identity.LDAP
	if l.URL == "" {
		return fmt.Errorf("%w: users sync needs identity.ldap in the policy file", ErrUsage)
	}
	c, err := ldapsync.New(l, cfg.Path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*l.Timeout.D())
	defer cancel()
	rep, err := ldapsync.Apply(ctx, c, st, by, l.Attributes.YearGroup != "")
	if err != nil {
		return fmt.Errorf("users sync: %w (the users stay as they were)", err)
	}
	if asJSON {
		return newJSON(a.Stdout).Encode(rep)
	}
	fmt.Fprintf(a.Stdout, "%d people in the directory: %d added, %d updated, %d unchanged, %d missing from it disabled, %d disabled there disabled here\n",
		rep.People, rep.Added, rep.Updated, rep.Unchanged, rep.Disabled, rep.DisabledHere)
	for _, p := range rep.Problems {
		fmt.Fprintf(a.Stdout, "skipped: %s\n", safe(p))
	}
	return nil
}
