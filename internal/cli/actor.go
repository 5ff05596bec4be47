package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"sync"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// osAccount is the operating-system account running the command, from
// the process's user id (os/user), not $USER, which is often unset or
// set to anything.
func osAccount() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}

// cliOrigin is where a command line acts from: "cli@HOST".
func cliOrigin() string {
	host, _ := os.Hostname()
	return "cli@" + host
}

// safeguardingCLI is the domain service for one command line: the store,
// its directory and the policy file, compiled the first time an operation
// asks for it (revoking or denying does not).
type safeguardingCLI struct {
	site       string // the school the command acts on (--site, siteFlag.resolve)
	svc        *safeguarding.Service
	dir        *store.Directory // the user directory the service resolves people in
	compileErr error
}

func newSafeguardingCLI(a *App, st *store.Store, cfg *config.Config, dataDir, site string) (*safeguardingCLI, error) {
	dir, err := store.NewDirectory(st, store.DirectoryOptions{Mapping: func() config.Identity { return cfg.Identity }})
	if err != nil {
		return nil, err
	}
	c := &safeguardingCLI{dir: dir, site: site}
	snapshot := sync.OnceValue(func() *policy.Snapshot {
		snap, err := policy.Compile(cfg, policy.Options{DataDir: dataDir, Logger: a.Log})
		if err != nil {
			c.compileErr = err
			return nil
		}
		return snap
	})
	c.svc = safeguarding.New(safeguarding.Options{Store: st, Directory: dir, Snapshot: snapshot, Site: site})
	return c, nil
}

// actor resolves --by: a safeguarding action needs a directory person
// whose roles allow it (want); anything else is a usage error saying what
// to pass. The domain checks the permission again itself; asking here
// refuses before the policy is compiled.
func (c *safeguardingCLI) actor(ctx context.Context, by string, want safeguarding.Capability) (safeguarding.Actor, error) {
	need := fmt.Sprintf("--by must name a member of staff with the %s role", safeguarding.OrList(safeguarding.RolesWith(want)))
	act, err := c.person(ctx, by, need)
	if err != nil {
		return act, err
	}
	if !safeguarding.Can(act.Roles, want) {
		return act, fmt.Errorf("%w: %s; %s", ErrUsage, need, whoIs(act))
	}
	return act, nil
}

// person resolves --by to an enabled directory person; need says what to
// pass when it does not.
func (c *safeguardingCLI) person(ctx context.Context, by, need string) (safeguarding.Actor, error) {
	if strings.TrimSpace(by) == "" {
		return safeguarding.Actor{}, fmt.Errorf("%w: %s", ErrUsage, need)
	}
	act, err := c.svc.ResolveActor(ctx, strings.ToLower(strings.TrimSpace(by)), osAccount(), cliOrigin())
	if errors.Is(err, safeguarding.ErrUnknownActor) {
		return act, fmt.Errorf("%w: %s; %v (add them with: schoolgate users add NAME --role ROLE)", ErrUsage, need, err)
	}
	if err == nil && act.Site != store.AllSites && act.Site != c.site {
		// A school's staff act in their own school only.
		return act, fmt.Errorf("%w: %q is of school %s, not %s: --site %s", ErrUsage, act.Username, act.Site, c.site, act.Site)
	}
	if err == nil && act.Site == store.AllSites {
		// The trust's staff act in the school named (--site, or the
		// only one): their reads and writes are that school's.
		act.Site, act.School = c.site, c.site
	}
	return act, err
}

// whoIs says what an actor is: `"jsmith" is a pupil`.
func whoIs(a safeguarding.Actor) string {
	switch len(a.Roles) {
	case 0:
		return fmt.Sprintf("%q has no role", a.Username)
	case 1:
		r := string(a.Roles[0])
		article := "a"
		if strings.ContainsRune("aeiou", rune(r[0])) {
			article = "an"
		}
		return fmt.Sprintf("%q is %s %s", a.Username, article, r)
	}
	return fmt.Sprintf("%q has the roles %s", a.Username, identity.JoinRoles(a.Roles))
}

// result turns a domain refusal into a usage error (exit 2) with the
// reason; a policy that would not compile is reported as itself.
func (c *safeguardingCLI) result(err error) error {
	var fe *safeguarding.ForbiddenError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, safeguarding.ErrNoPolicy) && c.compileErr != nil:
		return c.compileErr
	case errors.As(err, &fe):
		return fmt.Errorf("%w: --by must name a member of staff with the %s role; %s", ErrUsage,
			safeguarding.OrList(safeguarding.RolesWith(fe.Capability)), whoIs(fe.Actor))
	case errors.Is(err, safeguarding.ErrIllegal), errors.Is(err, safeguarding.ErrInvalid),
		errors.Is(err, safeguarding.ErrUnknownGrantee), errors.Is(err, safeguarding.ErrNotApplicable):
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	return err
}

// checkIdentity checks the policy's identity section against the fixed
// roles and its groups (policy.Compile does not know the roles).
func checkIdentity(path string, snap *policy.Snapshot) error {
	known := func(g string) bool { _, ok := snap.GroupIndex(g); return ok }
	if err := identity.CheckMapping(snap.Config().Identity, known); err != nil {
		return fmt.Errorf("%s: %w: %w", path, config.ErrInvalid, err)
	}
	return nil
}
