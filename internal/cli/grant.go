package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

const grantUsage = `usage: schoolgate grant --to USER|GROUP (--category C | --target HOST[/PATH] | --all) --for 45m --by STAFF --reason "..."
                        [--verdict allow|block] [--kind grant|suspension]
       schoolgate grant list [--all] [--json]
       schoolgate grant revoke ID --by STAFF --reason "..."`

func runGrant(ctx context.Context, a *App, args []string) error {
	sub := ""
	if len(args) > 0 && (args[0] == "list" || args[0] == "revoke") {
		sub, args = args[0], args[1:]
	}
	fs := newFlags(a, "grant")
	withUsage(a, fs, grantUsage)
	var cf commonFlags
	cf.register(a, fs)
	to := fs.String("to", "", "the user or policy group it is for")
	category := fs.String("category", "", "the category it covers")
	target := fs.String("target", "", "the host (or host/path) it covers")
	everything := fs.Bool("all", false, "grant: every site (a suspension); list: include ended ones")
	dur := fs.String("for", "", "how long (45m, 2h, 7d)")
	by := fs.String("by", "", "the member of staff making it (required)")
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
	switch sub {
	case "list":
		return grantList(ctx, a, st, *everything, *asJSON, cfg)
	case "revoke":
		if len(pos) != 1 || *by == "" || *reason == "" {
			return fmt.Errorf("%w: grant revoke takes an ID, --by and --reason\n%s", ErrUsage, grantUsage)
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %q is not an override ID", ErrUsage, pos[0])
		}
		if err := st.RevokeOverride(ctx, cliActor(a, *by), id, *reason); err != nil {
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
	o := policy.Override{Kind: *kind, Category: *category, Reason: *reason, Until: time.Now().Add(d)}
	if *target != "" {
		t, err := policy.ParseTarget(*target)
		if err != nil {
			return fmt.Errorf("%w: --target: %v", ErrUsage, err)
		}
		o.Target = t.Host + t.Path
	}
	if *category != "" {
		c, ok := cfg.Categories.Get(*category)
		if !ok {
			return fmt.Errorf("%w: --category: %q is not a category in the policy file", ErrUsage, *category)
		}
		if c.Illegal && *verdict != "block" {
			return fmt.Errorf("%w: --category %s: %w", ErrUsage, *category, store.ErrIllegal)
		}
	}
	switch *kind {
	case store.KindGrant:
		o.Verdict = policy.Allow
	case store.KindSuspension:
		o.Verdict = policy.Block
	default:
		return fmt.Errorf("%w: --kind %q (want grant or suspension)", ErrUsage, *kind)
	}
	if *verdict != "" {
		v, err := policy.ParseVerdict(*verdict)
		if err != nil || (v != policy.Allow && v != policy.Block) {
			return fmt.Errorf("%w: --verdict %q (want allow or block)", ErrUsage, *verdict)
		}
		o.Verdict = v
	}
	if _, ok := cfg.Groups.Get(*to); ok {
		o.Group = *to
	} else {
		o.User = *to
		if _, err := st.GetUser(ctx, *to); errors.Is(err, store.ErrNotFound) && !policyNamesUser(cfg, *to) {
			return fmt.Errorf("%w: --to: no user or group named %q", ErrUsage, *to)
		}
	}
	o, err = st.CreateOverride(ctx, cliActor(a, *by), o)
	if err != nil {
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

func grantList(ctx context.Context, a *App, st *store.Store, all, asJSON bool, cfg *config.Config) error {
	var list []policy.Override
	var err error
	if all {
		list, err = st.ListOverrides(ctx, time.Time{}, 0)
	} else {
		list, err = st.ActiveOverrides(ctx, time.Now())
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
