package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

const usersUsage = `usage: schoolgate users import FILE.csv [--prune]
       schoolgate users add USER [--name N] [--role R[,R]] [--year Y] [--groups "a;b"] [--email E] [--shared] [--password-stdin]
       schoolgate users set USER [--name N] [--role R[,R]] [--year Y] [--groups "a;b"] [--email E]   (only the flags given change)
       schoolgate users passwd USER            (reads the new password from stdin)
       schoolgate users disable|enable USER
       schoolgate users show USER [--json]
       schoolgate users list [--json]
       schoolgate users sync [--json]          (identity.ldap: apply the school's directory, as import --prune)
Roles: pupil, visitor, staff, teacher, technical, esafety-lead, dsl, slt, governor (several: "teacher,dsl");
the trust's staff (users add --trust): trust-dsl, trust-technical, trust-slt. Every subcommand takes --site NAME
(needed when the database holds several schools; users add with a new name creates the school).
Every change takes --by NAME (free text; default: the login name) and is in the audit trail.`

func runUsers(ctx context.Context, a *App, args []string) error {
	if err := helpFor(a, args, usersUsage); err != nil {
		return err
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: a subcommand\n%s", ErrUsage, usersUsage)
	}
	sub, args := args[0], args[1:]
	fs := newFlags(a, "users "+sub)
	withUsage(a, fs, usersUsage)
	var cf commonFlags
	cf.register(a, fs)
	by := fs.String("by", "", "who makes the change (default: the login name)")
	prune := fs.Bool("prune", false, "import: disable users missing from the file")
	name := fs.String("name", "", "add: display name")
	role := fs.String("role", "", "add, set: roles, ',' or ';'-separated ("+identity.RoleNames()+")")
	year := fs.String("year", "", "add, set: year group (N, R, 1 ... 13)")
	groups := fs.String("groups", "", "add, set: ';'-separated policy groups")
	email := fs.String("email", "", "add, set: e-mail address")
	shared := fs.Bool("shared", false, "add: a shared class log-on (KS1 groups only)")
	pwStdin := fs.Bool("password-stdin", false, "add: read a password from stdin")
	asJSON := fs.Bool("json", false, "show, list: JSON output")
	var sf siteFlag
	sf.register(fs)
	trust := fs.Bool("trust", false, "add: one of the trust's staff, who see every school (roles trust-dsl, trust-technical, trust-slt)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	want := map[string]int{"import": 1, "add": 1, "set": 1, "passwd": 1, "disable": 1, "enable": 1, "show": 1, "list": 0, "sync": 0}
	n, ok := want[sub]
	if !ok {
		return fmt.Errorf("%w: unknown subcommand %q\n%s", ErrUsage, sub, usersUsage)
	}
	if len(pos) != n {
		return fmt.Errorf("%w: users %s takes %d argument(s)\n%s", ErrUsage, sub, n, usersUsage)
	}
	st, cfg, err := cliStore(ctx, a, &cf)
	if err != nil {
		return err
	}
	defer st.Close()
	actor := cliActor(a, *by)
	if actor.Site, err = usersSite(ctx, st, cfg, &sf, sub, *trust); err != nil {
		return err
	}
	switch sub {
	case "set", "passwd", "disable", "enable", "show":
		// Another school's person is not found from this one.
		if _, err := st.GetUserIn(ctx, actor.Site, strings.ToLower(pos[0])); err != nil {
			return err
		}
	}
	switch sub {
	case "import":
		return usersImport(ctx, a, st, cfg, actor, pos[0], *prune)
	case "sync":
		return usersSync(ctx, a, st, cfg, actor, *asJSON)
	case "set":
		return usersSet(ctx, a, st, cfg, actor, fs, pos[0])
	case "add":
		u := identity.User{Username: strings.ToLower(pos[0]), DisplayName: *name,
			YearGroup: strings.ToUpper(*year), Email: *email, Shared: *shared, Site: actor.Site}
		if u.Roles, err = identity.ParseRoles(*role); err != nil {
			return fmt.Errorf("%w: --role: %w", ErrUsage, err)
		}
		if err := store.CheckPersonSite(u.Site, u.Roles); err != nil {
			return fmt.Errorf("%w: --role: %w", ErrUsage, err)
		}
		if u.Groups, err = policyGroupsFlag(cfg, *groups); err != nil {
			return err
		}
		if u.Shared {
			allowed := identity.SharedGroups(cfg.Identity)
			all := identity.ResolveGroups(u.Groups, u.YearGroup, u.Roles, cfg.Identity)
			if len(all) == 0 {
				return fmt.Errorf("%w: --shared: give the KS1 group or year the log-on is for", ErrUsage)
			}
			for _, g := range all {
				if !allowed[g] {
					return fmt.Errorf("%w: %w: group %s is not a KS1 group (identity.year_groups for N, R, 1, 2)", ErrUsage, store.ErrSharedAccount, g)
				}
			}
		}
		hash := ""
		if *pwStdin {
			if hash, err = readPasswordHash(a.Stdin, u.Username, u.Shared); err != nil {
				return err
			}
		}
		if err := st.CreateUser(ctx, actor, u, hash); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "added %s\n", safe(u.Username))
		warnUnplaced(a, cfg, &u)
		return nil
	case "passwd":
		u, err := st.GetUser(ctx, pos[0])
		if err != nil {
			return err
		}
		hash, err := readPasswordHash(a.Stdin, u.Username, u.Shared)
		if err != nil {
			return err
		}
		if err := st.SetPassword(ctx, actor, u.Username, hash); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "password changed for %s\n", safe(u.Username))
		return nil
	case "disable", "enable":
		if err := st.SetDisabled(ctx, actor, pos[0], sub == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "%sd %s\n", sub, safe(pos[0]))
		return nil
	case "show":
		u, err := st.GetUser(ctx, pos[0])
		if err != nil {
			return err
		}
		hasPw, _ := st.HasPassword(ctx, u.Username)
		all := policyGroups(cfg, u)
		if *asJSON {
			return newJSON(a.Stdout).Encode(userJSON(u, all, hasPw))
		}
		tw := tabwriter.NewWriter(a.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "username\t%s\nname\t%s\nroles\t%s\nyear group\t%s\nemail\t%s\ngroups\t%s\npolicy groups\t%s\nshared\t%v\ndisabled\t%v\npassword set\t%v\n",
			safe(u.Username), safe(u.DisplayName), identity.JoinRoles(u.Roles), safe(u.YearGroup), safe(u.Email), safe(strings.Join(u.Groups, ";")), safe(strings.Join(all, ", ")), u.Shared, u.Disabled, hasPw)
		return tw.Flush()
	default: // list
		users, err := st.ListUsers(ctx, actor.Site)
		if err != nil {
			return err
		}
		if *asJSON {
			rows := make([]map[string]any, len(users))
			for i, u := range users {
				rows[i] = userJSON(u, policyGroups(cfg, u), false)
			}
			return writeJSONLines(a.Stdout, rows)
		}
		tw := tabwriter.NewWriter(a.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tNAME\tROLES\tYEAR\tPOLICY GROUPS\tSTATE")
		for _, u := range users {
			state := "enabled"
			if u.Disabled {
				state = "disabled"
			}
			if u.Shared {
				state += ",shared"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", safe(u.Username), safe(u.DisplayName), identity.JoinRoles(u.Roles), safe(u.YearGroup),
				safe(strings.Join(policyGroups(cfg, u), ",")), state)
		}
		return tw.Flush()
	}
}

func userJSON(u identity.User, all []string, hasPw bool) map[string]any {
	roles := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = string(r)
	}
	return map[string]any{"username": u.Username, "display_name": u.DisplayName, "roles": roles, "year_group": u.YearGroup,
		"email": u.Email, "groups": u.Groups, "policy_groups": all, "shared": u.Shared, "disabled": u.Disabled, "password_set": hasPw}
}

func usersImport(ctx context.Context, a *App, st *store.Store, cfg *config.Config, actor store.Actor, file string, prune bool) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	parsed, err := identity.ParseUsersCSV(f, knownGroup(cfg))
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, e := range parsed.Errors {
		fmt.Fprintf(a.Stderr, "%s:%d: %s (row skipped)\n", file, e.Line, safe(e.Err.Error()))
	}
	for _, g := range parsed.UnknownGroups {
		fmt.Fprintf(a.Stderr, "%s:%d: group %s (%d rows) is not a policy group: kept as a directory group, no effect on filtering\n",
			file, g.FirstLine, safe(strconv.Quote(g.Name)), g.Rows)
	}
	if len(parsed.Ignored) > 0 {
		fmt.Fprintf(a.Stderr, "%s: ignored columns: %s\n", file, safe(strings.Join(parsed.Ignored, ", ")))
	}
	if prune && len(parsed.Errors) > 0 {
		// A bad row must not disable the pupil it describes.
		return fmt.Errorf("%s: %d bad row(s): fix them before importing with --prune", file, len(parsed.Errors))
	}
	parsed.Site = actor.Site
	sum, err := st.ImportUsers(ctx, actor, parsed, prune)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "%s: %d added, %d updated, %d unchanged, %d disabled, %d bad rows skipped",
		file, sum.Added, sum.Updated, sum.Unchanged, sum.Disabled, len(parsed.Errors))
	if sum.StillDisabled > 0 {
		fmt.Fprintf(a.Stdout, " (%d in the file are disabled: `users enable` them)", sum.StillDisabled)
	}
	fmt.Fprintln(a.Stdout)
	if err := reportUnplaced(ctx, a, st, cfg, file, parsed); err != nil {
		return err
	}
	if len(parsed.Errors) > 0 {
		return fmt.Errorf("%d bad row(s) skipped", len(parsed.Errors))
	}
	return nil
}

// readPasswordHash reads one line from r, checks the password policy and
// hashes it.
func readPasswordHash(r io.Reader, username string, shared bool) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if err := identity.CheckPasswordPolicy(username, pw, shared); err != nil {
		return "", fmt.Errorf("%w: %w", ErrUsage, err)
	}
	return identity.HashPassword(pw, identity.DefaultHashParams())
}

// usersSite is the site a users command acts on: "*" for users add
// --trust (the trust's staff), else --site by the one rule (users add
// may name a new school, which creates it).
func usersSite(ctx context.Context, st *store.Store, cfg *config.Config, sf *siteFlag, sub string, trust bool) (string, error) {
	if trust {
		if sub != "add" || sf.name != "" {
			return "", fmt.Errorf("%w: --trust is for users add, without --site", ErrUsage)
		}
		return store.AllSites, nil
	}
	return sf.resolve(ctx, st, cfg, sub == "add")
}
