package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/console"
	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

const tokensUsage = `usage: schoolgate tokens create --user USER --name NAME [--expires 90d] [--by X]
       schoolgate tokens list [--json]
       schoolgate tokens revoke ID [--by X]
A token authenticates as USER to the console's JSON API (/api/v1,
"Authorization: Bearer TOKEN") with USER's roles. create prints it once,
alone on stdout; only its SHA-256 is stored. A pupil, a visitor or a
disabled person can have none; disabling a person revokes theirs.
Every change takes --by NAME (free text; default: the login name) and is in the audit trail.
--site NAME: the school (needed when the database holds several).`

// defaultTokenLife is how long a token lasts unless --expires says.
const defaultTokenLife = 90 * 24 * time.Hour

// runTokens makes, lists and revokes the API's bearer tokens.
func runTokens(ctx context.Context, a *App, args []string) error {
	if err := helpFor(a, args, tokensUsage); err != nil {
		return err
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: tokens needs create, list or revoke\n%s", ErrUsage, tokensUsage)
	}
	sub, args := args[0], args[1:]
	fs := newFlags(a, "tokens "+sub)
	withUsage(a, fs, tokensUsage)
	var cf commonFlags
	cf.register(a, fs)
	var sf siteFlag
	sf.register(fs)
	by := fs.String("by", "", "who makes the change (default: the login name)")
	user := fs.String("user", "", "create: the person the token acts as (required)")
	name := fs.String("name", "", "create: what the token is for, e.g. \"MIS export\" (required)")
	expires := fs.String("expires", "90d", "create: how long it lasts (e.g. 30d, 12h; at most 366d)")
	asJSON := fs.Bool("json", false, "list: one JSON object per line")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	want := map[string]int{"create": 0, "list": 0, "revoke": 1}
	n, ok := want[sub]
	if !ok {
		return fmt.Errorf("%w: unknown tokens command %q\n%s", ErrUsage, sub, tokensUsage)
	}
	if len(pos) != n {
		return fmt.Errorf("%w: tokens %s takes %d argument(s)\n%s", ErrUsage, sub, n, tokensUsage)
	}
	var life time.Duration
	if sub == "create" {
		if err := requireFlags(tokensUsage, flagValue{"--user", *user}, flagValue{"--name", *name}); err != nil {
			return err
		}
		life, err = config.ParseDuration(*expires)
		if err != nil || life <= 0 || life > 366*24*time.Hour {
			return fmt.Errorf("%w: --expires %q: want a duration such as 90d or 12h, at most 366d", ErrUsage, *expires)
		}
	}
	var id int64
	if sub == "revoke" {
		if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil {
			return fmt.Errorf("%w: %q is not a token ID", ErrUsage, pos[0])
		}
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
	actor := cliActor(a, *by)
	switch sub {
	case "create":
		if u, err := st.GetUser(ctx, strings.ToLower(strings.TrimSpace(*user))); err == nil && u.Site != site && u.Site != store.AllSites {
			return fmt.Errorf("%w: %s is of school %s, not %s: --site %s", ErrUsage, u.Username, u.Site, site, u.Site)
		}
		return tokensCreate(ctx, a, st, actor, strings.ToLower(strings.TrimSpace(*user)), strings.TrimSpace(*name), life)
	case "revoke":
		if err := st.RevokeAPIToken(ctx, actor, id); err != nil {
			return err
		}
		fmt.Fprintf(a.Stderr, "token %d revoked\n", id)
		return nil
	}
	list, err := st.ListAPITokens(ctx, site)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := newJSON(a.Stdout)
		for _, t := range list {
			if err := enc.Encode(t); err != nil {
				return err
			}
		}
		return nil
	}
	loc, err := siteLocation(cfg)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tNAME\tCREATED\tEXPIRES\tLAST USED\tSTATE")
	now := time.Now()
	for _, t := range list {
		state := "active"
		switch {
		case !t.Revoked.IsZero():
			state = "revoked " + t.Revoked.In(loc).Format(time.DateOnly)
		case !t.Active(now):
			state = "expired"
		}
		used := "never"
		if !t.LastUsed.IsZero() {
			used = t.LastUsed.In(loc).Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, safe(t.Username), safe(t.Name), t.Created.In(loc).Format(time.DateOnly),
			t.Expires.In(loc).Format(time.DateOnly), used, state)
	}
	return tw.Flush()
}

// ErrNoConsoleRole: a token for someone whose roles give no console
// capability.
var ErrNoConsoleRole = errors.New("has no role that can use the console")

// tokensCreate makes a token for user and prints it, alone, on stdout.
func tokensCreate(ctx context.Context, a *App, st *store.Store, actor store.Actor, user, name string, life time.Duration) error {
	u, err := st.GetUser(ctx, user)
	if err != nil {
		return err
	}
	if slices.Contains(u.Roles, identity.RolePupil) || slices.Contains(u.Roles, identity.RoleVisitor) {
		return fmt.Errorf("%s: %w", user, store.ErrNoToken)
	}
	if !safeguarding.Can(u.Roles, safeguarding.Dashboard) {
		return fmt.Errorf("%s %w (roles: %s)", user, ErrNoConsoleRole, identity.JoinRoles(u.Roles))
	}
	tok, hash := console.NewAPIToken()
	now := time.Now()
	t, err := st.CreateAPIToken(ctx, actor, store.APIToken{Name: name, Username: user, Created: now, Expires: now.Add(life)}, hash)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.Stdout, tok)
	fmt.Fprintf(a.Stderr, "token %d for %s made; it expires %s. It is not shown again.\n", t.ID, safe(user), t.Expires.UTC().Format(time.RFC3339))
	return nil
}
