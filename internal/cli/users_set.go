package cli

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// usersSet changes the profile fields whose flags were given (roles,
// groups, display name, year group, e-mail); the others are kept.
func usersSet(ctx context.Context, a *App, st *store.Store, cfg *config.Config, actor store.Actor, fs *flag.FlagSet, name string) error {
	u, err := st.GetUser(ctx, strings.ToLower(name))
	if err != nil {
		return err
	}
	changed := 0
	var ferr error
	fs.Visit(func(f *flag.Flag) {
		v := f.Value.String()
		switch f.Name {
		case "name":
			u.DisplayName = v
		case "role":
			roles, err := identity.ParseRoles(v)
			if err != nil {
				ferr = fmt.Errorf("%w: --role: %w", ErrUsage, err)
			}
			u.Roles = roles
		case "year":
			u.YearGroup = strings.ToUpper(strings.TrimSpace(v))
		case "groups":
			groups, err := policyGroupsFlag(cfg, v)
			if err != nil {
				ferr = err
			}
			u.Groups = groups
		case "email":
			u.Email = strings.TrimSpace(v)
		default:
			return
		}
		changed++
	})
	if ferr != nil {
		return ferr
	}
	if changed == 0 {
		return fmt.Errorf("%w: users set: give at least one of --name, --role, --year, --groups, --email\n%s", ErrUsage, usersUsage)
	}
	if u.Shared {
		return fmt.Errorf("%w: %s is a shared class log-on: disable it and add a new one instead", ErrUsage, u.Username)
	}
	if err := st.UpdateUser(ctx, actor, u); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "updated %s: roles %s, policy groups %s\n", u.Username, orNone(identity.JoinRoles(u.Roles)),
		orNone(strings.Join(policyGroups(cfg, u), ",")))
	warnUnplaced(a, cfg, &u)
	return nil
}

// warnUnplaced warns when a pupil added or changed by hand is in no
// policy group.
func warnUnplaced(a *App, cfg *config.Config, u *identity.User) {
	if !u.Disabled && !policyNamesUser(cfg, u.Username) && identity.Unplaced(u, cfg.Identity, knownGroup(cfg)) {
		fmt.Fprintf(a.Stderr, "warning: pupil %s is in no policy group (give --groups, or a --year or --role that identity maps): filtered only by the network they use\n", u.Username)
	}
}

// policyGroupsFlag reads a --groups value: ';'-separated names, each a
// group of the policy file (by hand, a typo is refused rather than kept).
func policyGroupsFlag(cfg *config.Config, v string) ([]string, error) {
	var out []string
	for _, g := range strings.Split(v, ";") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		if _, ok := cfg.Groups.Get(g); !ok {
			return nil, fmt.Errorf("%w: --groups: %q is not a group in the policy file (groups: %s)", ErrUsage, g, strings.Join(cfg.Groups.Names(), ", "))
		}
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out, nil
}

// knownGroup reports whether the policy file defines a group.
func knownGroup(cfg *config.Config) func(string) bool {
	return func(g string) bool { _, ok := cfg.Groups.Get(g); return ok }
}

// policyGroups are a user's groups that the policy defines: explicit, by
// year group and by role (directory groups the policy does not know are
// left out: they do not filter).
func policyGroups(cfg *config.Config, u identity.User) []string {
	return identity.PolicyGroups(identity.ResolveGroups(u.Groups, u.YearGroup, u.Roles, cfg.Identity), knownGroup(cfg))
}

// reportUnplaced names, by CSV line, each enabled pupil of the file who
// is now in no policy group (neither their groups, year group nor roles
// map to one, and no users: list names them): the filter can place them
// only by their network.
func reportUnplaced(ctx context.Context, a *App, st *store.Store, cfg *config.Config, file string, f *identity.ImportFile) error {
	users, err := st.ListUsers(ctx, store.AllSites)
	if err != nil {
		return err
	}
	byName := make(map[string]*identity.User, len(users))
	for i := range users {
		byName[users[i].Username] = &users[i]
	}
	for _, r := range f.Rows {
		u := byName[r.User.Username]
		if u == nil || u.Disabled || policyNamesUser(cfg, u.Username) || !identity.Unplaced(u, cfg.Identity, knownGroup(cfg)) {
			continue
		}
		fmt.Fprintf(a.Stderr, "%s:%d: pupil %s is in no policy group (groups, year group %q and roles map to none): filtered only by the network they use\n",
			file, r.Line, u.Username, u.YearGroup)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
