package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

const requestsUsage = `usage: schoolgate requests list [--status pending|approved|denied|expired|all] [--json]
       schoolgate requests approve ID --by STAFF --for DURATION --reason "..." [--group G] [--category C]
       schoolgate requests deny ID --by STAFF --reason "..."`

// runRequests lists and decides filter-change requests made with "Ask for
// access" on the block page. Approval creates a time-limited override that
// a running serve applies within a second; every step is audited; requests
// for illegal content can never be approved.
func runRequests(ctx context.Context, a *App, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: requests needs list, approve or deny\n%s", ErrUsage, requestsUsage)
	}
	sub, args := args[0], args[1:]
	fs := newFlags(a, "requests "+sub)
	var cf commonFlags
	cf.register(a, fs)
	status := fs.String("status", "pending", "list: pending, approved, denied, expired or all")
	asJSON := fs.Bool("json", false, "list: one JSON object per line")
	by := fs.String("by", "", "the member of staff deciding (required)")
	dur := fs.String("for", "", "approve: how long the unblock lasts (45m, 2h, 7d)")
	reason := fs.String("reason", "", "why (required)")
	group := fs.String("group", "", "approve: unblock for this whole group rather than the pupil")
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
	if sub == "list" {
		if *status == "all" {
			*status = ""
		}
		list, err := st.ListRequests(ctx, *status, 0)
		if err != nil {
			return err
		}
		return printRequests(a, list, *asJSON)
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not a request ID", ErrUsage, pos[0])
	}
	if sub == "deny" {
		r, err := st.DenyRequest(ctx, cliActor(a, *by), id, *reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "request %d denied (%s for %s)\n", r.ID, r.Host, requester(r))
		return nil
	}
	d, err := config.ParseDuration(*dur)
	if err != nil || d <= 0 {
		return fmt.Errorf("%w: --for %q: want a duration such as 45m, 2h or 7d", ErrUsage, *dur)
	}
	r, err := st.GetRequest(ctx, id)
	if err != nil {
		return err
	}
	illegal, err := requestIllegal(cfg, cf.data, a, r)
	if err != nil {
		return err
	}
	r, o, err := st.ApproveRequest(ctx, cliActor(a, *by), id, store.Approval{For: d, Reason: *reason, Group: *group, Category: *category, Illegal: illegal})
	if err != nil {
		return err
	}
	subject := o.User
	if subject == "" {
		subject = "group " + o.Group
	}
	scope := o.Target
	if o.Category != "" {
		scope = "category " + o.Category
	}
	fmt.Fprintf(a.Stdout, "request %d approved: override %d allows %s for %s until %s\n", r.ID, o.ID, scope, subject, o.Until.Format("2006-01-02 15:04 MST"))
	return nil
}

// requestIllegal asks the policy in force (not the request's own record)
// whether the requested site is in an illegal category.
func requestIllegal(cfg *config.Config, dataDir string, a *App, r store.Request) (bool, error) {
	snap, err := policy.Compile(cfg, policy.Options{DataDir: dataDir, Logger: a.Log})
	if err != nil {
		return false, err
	}
	for _, c := range r.Categories {
		if i, ok := snap.CategoryIndex(c); ok && snap.IsIllegal(i) {
			return true, nil
		}
	}
	target := r.URL
	if target == "" {
		target = r.Host
	}
	t, err := policy.ParseTarget(target)
	if err != nil {
		t = policy.Target{Host: r.Host}
	}
	d := snap.Decide(&policy.Query{Host: t.Host, Path: t.Path})
	return d.Illegal, nil
}

func requester(r store.Request) string {
	if r.User != "" {
		return r.User
	}
	return r.Client
}

func printRequests(a *App, list []store.Request, asJSON bool) error {
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
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Created.Local().Format("2006-01-02 15:04"), requester(r), r.Host,
			strings.Join(r.Categories, ","), status, oneLine(r.Reason))
	}
	return tw.Flush()
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
