package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

const requestsUsage = `usage: schoolgate requests list [--status pending|approved|denied|expired|all] [--json]
       schoolgate requests approve ID --by STAFF --for DURATION --reason "..." [--group G | --device | --network] [--category C]
       schoolgate requests deny ID --by STAFF --reason "..."
--site NAME: the school (needed when the database holds several).`

// runRequests lists and decides filter-change requests made with "Ask for
// access" on the block page. Approval creates a time-limited override that
// a running serve applies within a second; every step is audited; requests
// for illegal content can never be approved.
func runRequests(ctx context.Context, a *App, args []string) error {
	if err := helpFor(a, args, requestsUsage); err != nil {
		return err
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: requests needs list, approve or deny\n%s", ErrUsage, requestsUsage)
	}
	sub, args := args[0], args[1:]
	fs := newFlags(a, "requests "+sub)
	withUsage(a, fs, requestsUsage)
	var cf commonFlags
	cf.register(a, fs)
	var sf siteFlag
	sf.register(fs)
	status := fs.String("status", "pending", "list: pending, approved, denied, expired or all")
	asJSON := fs.Bool("json", false, "list: one JSON object per line")
	by := fs.String("by", "", "the member of staff deciding: a directory person with the technical, esafety-lead or dsl role (required)")
	dur := fs.String("for", "", "approve: how long the unblock lasts (45m, 2h, 7d)")
	reason := fs.String("reason", "", "why (required)")
	group := fs.String("group", "", "approve: unblock for this whole policy group rather than the pupil")
	device := fs.Bool("device", false, "approve: a request from an unidentified device: unblock for that device's address")
	network := fs.Bool("network", false, "approve: a request from an unidentified device: unblock for the group its network maps to")
	category := fs.String("category", "", "approve: unblock this category (one of the request's) rather than the site")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch sub {
	case "list", "approve", "deny":
	default:
		return fmt.Errorf("%w: unknown requests command %q\n%s", ErrUsage, sub, requestsUsage)
	}
	if sub != "list" {
		if len(pos) != 1 {
			return fmt.Errorf("%w: requests %s takes one request ID\n%s", ErrUsage, sub, requestsUsage)
		}
		required := []flagValue{{"--by", *by}, {"--reason", *reason}}
		if sub == "approve" {
			required = append(required, flagValue{"--for", *dur})
		}
		if err := requireFlags(requestsUsage, required...); err != nil {
			return err
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
	if sub == "list" {
		if *status == "all" {
			*status = ""
		}
		list, err := st.ListRequests(ctx, site, *status, 0)
		if err != nil {
			return err
		}
		loc, err := siteLocation(cfg)
		if err != nil {
			return err
		}
		return printRequests(a, list, *asJSON, loc)
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not a request ID", ErrUsage, pos[0])
	}
	sg, err := newSafeguardingCLI(a, st, cfg, cf.data, site)
	if err != nil {
		return err
	}
	actor, err := sg.actor(ctx, *by, safeguarding.DecideRequests)
	if err != nil {
		return err
	}
	if sub == "deny" {
		r, err := sg.svc.DenyRequest(ctx, actor, id, *reason)
		if err := sg.result(err); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "request %d denied (%s for %s)\n", r.ID, safe(r.Host), safe(requester(r)))
		return nil
	}
	d, err := config.ParseDuration(*dur)
	if err != nil || d <= 0 {
		return fmt.Errorf("%w: --for %q: want a duration such as 45m, 2h or 7d", ErrUsage, *dur)
	}
	ap := safeguarding.Approval{For: d, Reason: *reason, Category: *category}
	scopes := 0
	if *group != "" {
		ap.Scope, ap.Group = safeguarding.ScopeGroup, *group
		scopes++
	}
	if *device {
		ap.Scope = safeguarding.ScopeDevice
		scopes++
	}
	if *network {
		ap.Scope = safeguarding.ScopeNetworkGroup
		scopes++
	}
	if scopes > 1 {
		return fmt.Errorf("%w: give at most one of --group, --device and --network\n%s", ErrUsage, requestsUsage)
	}
	r, o, err := sg.svc.ApproveRequest(ctx, actor, id, ap)
	if err := sg.result(err); err != nil {
		if errors.Is(err, safeguarding.ErrNotApplicable) && r.User == "" && r.Client != "" {
			return fmt.Errorf("%w (--device, --group NAME or --network)", err)
		}
		return err
	}
	subject := o.User
	switch {
	case o.Group != "":
		subject = "group " + o.Group
	case o.Client.IsValid():
		subject = "device " + o.Client.String()
	}
	scope := o.Target
	if o.Category != "" {
		scope = "category " + o.Category
	}
	fmt.Fprintf(a.Stdout, "request %d approved: override %d allows %s for %s until %s\n", r.ID, o.ID, safe(scope), safe(subject), untilText(cfg, o.Until))
	return nil
}

// untilText is when an override ends, in the site's zone.
func untilText(cfg *config.Config, t time.Time) string {
	loc, err := siteLocation(cfg)
	if err != nil {
		loc = time.UTC
	}
	return siteTime(t, loc)
}

func requester(r store.Request) string {
	if r.User != "" {
		return r.User
	}
	return r.Client
}

func printRequests(a *App, list []store.Request, asJSON bool, loc *time.Location) error {
	if asJSON {
		return writeJSONLines(a.Stdout, list)
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tWHO\tSITE\tCATEGORIES\tSTATUS\tREASON")
	for _, r := range list {
		status := r.Status
		if r.Repeats > 0 {
			status += fmt.Sprintf(" (asked %d times)", r.Repeats+1)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, siteTime(r.Created, loc), safe(requester(r)), safe(r.Host),
			safe(strings.Join(r.Categories, ",")), status, safe(oneLine(r.Reason)))
	}
	return tw.Flush()
}

// oneLine is s on one line, at most 60 characters.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 60 {
		s = string(r[:57]) + "..."
	}
	return s
}
