package cli

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

const grantUsage = `usage: schoolgate grant --to USER|GROUP (--category C | --target HOST[/PATH] | --all) --for 45m --by STAFF --reason "..."
                        [--verdict allow|block] [--kind grant|suspension]
       schoolgate grant list [--all] [--json]
       schoolgate grant revoke ID --by STAFF --reason "..."
--site NAME: the school (needed when the database holds several).`

func runGrant(ctx context.Context, a *App, args []string) error {
	sub := ""
	if len(args) > 0 && (args[0] == "list" || args[0] == "revoke") {
		sub, args = args[0], args[1:]
	}
	fs := newFlags(a, "grant")
	withUsage(a, fs, grantUsage)
	var cf commonFlags
	cf.register(a, fs)
	var sf siteFlag
	sf.register(fs)
	to := fs.String("to", "", "the user or policy group it is for")
	category := fs.String("category", "", "the category it covers")
	target := fs.String("target", "", "the host (or host/path) it covers")
	everything := fs.Bool("all", false, "grant: every site (a suspension); list: include ended ones")
	dur := fs.String("for", "", "how long (45m, 2h, 7d)")
	by := fs.String("by", "", "the member of staff making it: a directory person whose roles allow it (required)")
	reason := fs.String("reason", "", "why (required)")
	verdict := fs.String("verdict", "", "allow (default for a grant) or block (default for a suspension)")
	kind := fs.String("kind", store.KindGrant, "grant or suspension")
	asJSON := fs.Bool("json", false, "list: JSON output")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	st, cfg, err := cliStore(ctx, a, &cf)
	if err != nil {
		return err
	}
	defer st.Close()
	site, err := sf.resolve(ctx, st, cfg, false)
	if err != nil {
		return err
	}
	if sub == "list" {
		return grantList(ctx, a, st, site, *everything, *asJSON, cfg)
	}
	sg, err := newSafeguardingCLI(a, st, cfg, cf.data, site)
	if err != nil {
		return err
	}
	if sub == "revoke" {
		if len(pos) != 1 || *by == "" || *reason == "" {
			return fmt.Errorf("%w: grant revoke takes an ID, --by and --reason\n%s", ErrUsage, grantUsage)
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %q is not an override ID", ErrUsage, pos[0])
		}
		// Who may revoke depends on the override's kind: the domain checks.
		actor, err := sg.person(ctx, *by, "--by must name a member of staff whose roles allow it")
		if err != nil {
			return err
		}
		if err := sg.result(sg.svc.RevokeOverride(ctx, actor, id, *reason)); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "override %d revoked\n", id)
		return nil
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: unexpected %q\n%s", ErrUsage, pos[0], grantUsage)
	}
	if err := requireFlags(grantUsage, flagValue{"--to", *to}, flagValue{"--for", *dur}, flagValue{"--by", *by}, flagValue{"--reason", *reason}); err != nil {
		return err
	}
	scopes := 0
	for _, b := range []bool{*category != "", *target != "", *everything} {
		if b {
			scopes++
		}
	}
	if scopes != 1 {
		return fmt.Errorf("%w: give one of --category, --target or --all\n%s", ErrUsage, grantUsage)
	}
	d, err := config.ParseDuration(*dur)
	if err != nil || d <= 0 {
		return fmt.Errorf("%w: --for: %q is not a positive duration (45m, 2h, 7d)", ErrUsage, *dur)
	}
	g := safeguarding.Grant{To: *to, Category: *category, Target: *target, All: *everything, For: d, Reason: *reason}
	switch *verdict {
	case "", "allow":
	case "block":
		g.Block = true
	default:
		return fmt.Errorf("%w: --verdict %q (want allow or block)", ErrUsage, *verdict)
	}
	need, op := safeguarding.GrantPermission, sg.svc.CreateGrant
	switch *kind {
	case store.KindGrant:
	case store.KindSuspension:
		if *verdict == "allow" {
			return fmt.Errorf("%w: a suspension blocks: --verdict allow is for a grant", ErrUsage)
		}
		need, op = safeguarding.Suspend, sg.svc.Suspend
	default:
		return fmt.Errorf("%w: --kind %q (want grant or suspension)", ErrUsage, *kind)
	}
	actor, err := sg.actor(ctx, *by, need)
	if err != nil {
		return err
	}
	o, err := op(ctx, actor, g)
	if err := sg.result(err); err != nil {
		return err
	}
	scope := "every site"
	switch {
	case o.Category != "":
		scope = "category " + o.Category
	case o.Target != "":
		scope = o.Target
	}
	subject := "user " + o.User
	if o.Group != "" {
		subject = "group " + o.Group
	}
	fmt.Fprintf(a.Stdout, "override %d: %s %s for %s until %s\n", o.ID, o.Verdict, safe(scope), safe(subject), untilText(cfg, o.Until))
	return nil
}

// policyNamesUser reports whether a group's users: list names user.
func policyNamesUser(cfg *config.Config, user string) bool {
	for _, name := range cfg.Groups.Names() {
		g, _ := cfg.Groups.Get(name)
		for _, u := range g.Users {
			if u == user {
				return true
			}
		}
	}
	return false
}

func grantList(ctx context.Context, a *App, st *store.Store, site string, all, asJSON bool, cfg *config.Config) error {
	var list []policy.Override
	var err error
	if all {
		list, err = st.ListOverrides(ctx, site, time.Time{}, 0)
	} else {
		list, err = st.ActiveOverrides(ctx, site, time.Now())
	}
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSONLines(a.Stdout, list)
	}
	tw := tabwriter.NewWriter(a.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSUBJECT\tSCOPE\tVERDICT\tUNTIL\tBY\tREASON")
	for _, o := range list {
		subject, scope := o.User, "*"
		if o.Group != "" {
			subject = "group:" + o.Group
		}
		if o.Client.IsValid() {
			subject = "ip:" + o.Client.String()
		}
		if o.Category != "" {
			scope = "category:" + o.Category
		} else if o.Target != "" {
			scope = o.Target
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.ID, safe(o.Kind), safe(subject), safe(scope), o.Verdict, untilText(cfg, o.Until), safe(o.By), safe(oneLine(o.Reason)))
	}
	return tw.Flush()
}
