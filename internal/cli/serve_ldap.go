package cli

import (
	"context"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/ldapsync"
	"schoolgate/internal/store"
)

// ldapPasswords is the password check of identity.password: ldap (a
// bind to the school's directory), or nil for Schoolgate's own hashes.
func ldapPasswords(cfg *config.Config) (func(ctx context.Context, username, password string) (bool, error), error) {
	if cfg.Identity.Password != "ldap" {
		return nil, nil
	}
	c, err := ldapsync.New(cfg.Identity.LDAP, cfg.Path)
	if err != nil {
		return nil, err
	}
	return c.CheckPassword, nil
}

// runLDAPSync applies the school's directory every identity.ldap.sync_every
// until ctx ends (from the policy in force at start). A failed sync
// changes nothing and is logged; the next one tries again.
func (d *serveDeps) runLDAPSync(ctx context.Context, cfg *config.Config) {
	l := cfg.Identity.LDAP
	if l.URL == "" {
		return
	}
	c, err := ldapsync.New(l, cfg.Path)
	if err != nil {
		d.log.Error("directory sync is off", "err", err)
		return
	}
	by := store.Actor{Name: "schoolgate", From: "ldap-sync", Site: d.nodeSite()} // the directory is this school's
	t := time.NewTicker(l.SyncEvery.D())
	defer t.Stop()
	for {
		rep, err := ldapsync.Apply(ctx, c, d.st.store, by, l.Attributes.YearGroup != "")
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			d.log.Error("directory sync failed; the users stay as they were", "err", err)
		default:
			d.log.Info("directory sync", "people", rep.People, "added", rep.Added, "updated", rep.Updated,
				"disabled_missing", rep.Disabled, "disabled_there", rep.DisabledHere, "problems", len(rep.Problems))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
