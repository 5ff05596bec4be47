package cli

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"schoolgate/internal/config"
	"schoolgate/internal/store"
)

// siteFlag is --site NAME, the school a command reads or changes: every
// command on a school's data takes it, and resolves it with resolve (the
// one "which site" rule).
type siteFlag struct {
	name string
}

func (f *siteFlag) register(fs *flag.FlagSet) {
	fs.StringVar(&f.name, "site", "", "the school (site id) to act on; needed when the database holds several")
}

// resolve is the school the command acts on: --site when given (a site
// the database knows, or with create a new one, recorded), else the only
// site; with several and no --site it stops and names them. A database
// with no site yet acts on the policy's site.id ("school" by default).
func (f *siteFlag) resolve(ctx context.Context, st *store.Store, cfg *config.Config, create bool) (string, error) {
	sites, err := st.ListSites(ctx)
	if err != nil {
		return "", err
	}
	ids := make([]string, 0, len(sites))
	for _, s := range sites {
		ids = append(ids, s.ID)
	}
	name := strings.TrimSpace(f.name)
	if name == store.AllSites {
		return "", fmt.Errorf("%w: --site names one school; the trust's staff are made with --trust", ErrUsage)
	}
	if name != "" {
		if err := store.CheckSiteID(name); err != nil {
			return "", fmt.Errorf("%w: --site: %w", ErrUsage, err)
		}
		if slices.Contains(ids, name) {
			return name, nil
		}
		if !create && len(ids) > 0 {
			return "", fmt.Errorf("%w: --site %s: no such school (the schools: %s)", ErrUsage, name, strings.Join(ids, ", "))
		}
		return name, st.EnsureSite(ctx, name, "")
	}
	switch len(ids) {
	case 0:
		if cfg != nil && cfg.Site.ID != "" {
			return cfg.Site.ID, nil
		}
		return config.DefaultSiteID, nil
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%w: the database holds several schools (%s): name one with --site", ErrUsage, strings.Join(ids, ", "))
}

// configSite is the policy's own school (site.id; "school" by default):
// the node's, for what a node enforces.
func configSite(cfg *config.Config) string {
	if cfg != nil && cfg.Site.ID != "" {
		return cfg.Site.ID
	}
	return config.DefaultSiteID
}
