package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"

	"schoolgate/internal/alerts"
	"schoolgate/internal/config"
	"schoolgate/internal/keywords"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

const alertsUsage = `usage: schoolgate alerts list --by STAFF [--status new|acknowledged|closed|all] [--severity N] [--rule NAME] [--json]
       schoolgate alerts ack ID --by STAFF
       schoolgate alerts close ID --by STAFF --outcome true-concern|false-positive|duplicate [--note "..."]
       schoolgate alerts test [-c policy.yaml] FILE
alerts test runs the policy's alert rules over sample events in FILE (no database) and prints what would fire:
one event a line, an RFC 3339 time then key=value fields, e.g.
  2026-03-09T10:00:00Z user=ada groups=pupils category=gambling verdict=block host=bet.example
  2026-03-09T10:01:00Z user=ada groups=pupils search="how to self harm"
keys: user, client, groups, category, verdict, host, url, search, rule, concern (a concern's kind).
--site NAME: the school (needed when the database holds several).`

// runAlerts lists and handles monitoring alerts (thin callers of the
// domain, under the same who-sees-what as the console), and dry-runs the
// rules.
func runAlerts(ctx context.Context, a *App, args []string) error {
	if err := helpFor(a, args, alertsUsage); err != nil {
		return err
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: alerts needs list, ack, close or test\n%s", ErrUsage, alertsUsage)
	}
	sub, args := args[0], args[1:]
	fs := newFlags(a, "alerts "+sub)
	withUsage(a, fs, alertsUsage)
	var cf commonFlags
	cf.register(a, fs)
	var sf siteFlag
	sf.register(fs)
	var by string
	fs.StringVar(&by, "by", "", "the member of staff: a directory person whose roles read alerts (dsl, esafety-lead, slt or technical)")
	fs.StringVar(&by, "as", "", "same as --by")
	status := fs.String("status", "new", "list: new, acknowledged, closed or all")
	severity := fs.Int("severity", 0, "list: only alerts of at least this severity (1-5)")
	rule := fs.String("rule", "", "list: only this rule's alerts")
	asJSON := fs.Bool("json", false, "list: one JSON object per line")
	outcome := fs.String("outcome", "", "close: true-concern, false-positive or duplicate")
	note := fs.String("note", "", "close: a note kept with the alert")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch sub {
	case "test":
		if len(pos) != 1 {
			return fmt.Errorf("%w: alerts test takes one file of sample events\n%s", ErrUsage, alertsUsage)
		}
		return alertsTest(a, &cf, pos[0])
	case "list":
		if len(pos) != 0 {
			return fmt.Errorf("%w: alerts list takes no arguments\n%s", ErrUsage, alertsUsage)
		}
	case "ack", "close":
		if len(pos) != 1 {
			return fmt.Errorf("%w: alerts %s takes one alert ID\n%s", ErrUsage, sub, alertsUsage)
		}
		if sub == "close" {
			if err := requireFlags(alertsUsage, flagValue{"--outcome", *outcome}); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("%w: unknown alerts command %q\n%s", ErrUsage, sub, alertsUsage)
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
	sg, err := newSafeguardingCLI(a, st, cfg, cf.data, site)
	if err != nil {
		return err
	}
	need := "--by must name a member of staff with the dsl, esafety-lead, slt or technical role"
	actor, err := sg.person(ctx, by, need)
	if err != nil {
		return err
	}
	if !safeguarding.CanSeeAlerts(actor) {
		return fmt.Errorf("%w: %s; %s", ErrUsage, need, whoIs(actor))
	}
	svc := safeguarding.NewAlerts(st)
	if sub == "list" {
		if *status == "all" {
			*status = ""
		}
		list, err := svc.List(ctx, actor, store.AlertFilter{Status: *status, Severity: *severity, Rule: *rule})
		if err := sg.result(err); err != nil {
			return err
		}
		return printAlerts(a, cfg, list, *asJSON)
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not an alert ID", ErrUsage, pos[0])
	}
	if sub == "ack" {
		err = svc.Ack(ctx, actor, id)
	} else {
		err = svc.Close(ctx, actor, id, *outcome, *note)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: no alert %d that %s may see", ErrUsage, id, safe(actor.Username))
	case errors.Is(err, store.ErrAlertState), errors.Is(err, store.ErrInvalid):
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if err := sg.result(err); err != nil {
		return err
	}
	done := "acknowledged"
	if sub == "close" {
		done = "closed (" + *outcome + ")"
	}
	fmt.Fprintf(a.Stdout, "alert %d %s\n", id, done)
	return nil
}

func printAlerts(a *App, cfg *config.Config, list []store.Alert, asJSON bool) error {
	if asJSON {
		return writeJSONLines(a.Stdout, list)
	}
	loc, err := siteLocation(cfg)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tRULE\tWHO\tCOUNT\tLAST SEEN\tSTATUS")
	for _, al := range list {
		who := al.User
		if who == "" {
			who = al.Client
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%d\t%s\t%s\n", al.ID, al.Severity, safe(al.Rule), safe(who), al.Count, siteTime(al.LastSeen, loc), al.Status)
	}
	return tw.Flush()
}

// alertsTest dry-runs the policy's rules over a file of sample events.
func alertsTest(a *App, cf *commonFlags, file string) error {
	path, err := cf.configPath(a)
	if err != nil {
		return err
	}
	cfg, err := config.LoadComposed(path)
	if err != nil {
		return err
	}
	rs, err := compileAlertRules(cfg, cf.data)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	defer f.Close()
	fired, err := alerts.DryRun(cfg, rs, f, file)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if len(fired) == 0 {
		fmt.Fprintln(a.Stdout, "no alert would fire")
		return nil
	}
	for _, x := range fired {
		fmt.Fprintf(a.Stdout, "line %d: severity %d %s (%s) about %s: %d event(s), %s to %s\n", x.Line, x.Severity, safe(x.Rule), safe(x.Title),
			safe(x.Subject), x.Count, x.First.Format("2006-01-02 15:04:05"), x.Last.Format("15:04:05"))
	}
	return nil
}

// compileAlertRules compiles the policy's alert rules with its keyword
// lists (read from their files).
func compileAlertRules(cfg *config.Config, dataDir string) (*alerts.Rules, error) {
	var kw alerts.KeywordMatcher
	if len(cfg.Keywords) > 0 {
		k, err := keywords.Load(cfg, dataDir)
		if err != nil {
			return nil, err
		}
		kw = k
	}
	return alerts.Compile(cfg, kw)
}
