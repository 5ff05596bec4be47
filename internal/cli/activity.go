package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/store"
)

const activityUsage = `usage: schoolgate activity search [--user U] [--client IP] [--host H] [--category C] [--verdict V] [--point dns|proxy]
                                 [--since T] [--until T] [--limit N] [--format csv|json] --by NAME
       schoolgate activity summary [--since T] [--until T] [--count-by day,category,verdict] [--format table|csv|json] --by NAME
       schoolgate activity purge [--dry-run]
T is an RFC 3339 time (2026-03-09T10:00:00Z), a time or date in site.timezone (2026-03-09T10:00,
2026-03-09 10:00, 2026-03-09), or a duration back from now (24h, 7d). Times print in site.timezone.
summary counts from the hourly aggregates (kept the whole activity period) by any of
day, hour, subject (user or client address), category, verdict, point.
--site NAME: the school (needed when the database holds several).`

func runActivity(ctx context.Context, a *App, args []string) error {
	if err := helpFor(a, args, activityUsage); err != nil {
		return err
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: a subcommand\n%s", ErrUsage, activityUsage)
	}
	sub, args := args[0], args[1:]
	fs := newFlags(a, "activity "+sub)
	withUsage(a, fs, activityUsage)
	var cf commonFlags
	cf.register(a, fs)
	var sf siteFlag
	sf.register(fs)
	var f store.ActivityFilter
	fs.StringVar(&f.User, "user", "", "search: this user")
	fs.StringVar(&f.Client, "client", "", "search: this client IP")
	fs.StringVar(&f.Host, "host", "", "search: this host and its subdomains")
	fs.StringVar(&f.Category, "category", "", "search: events in this category")
	fs.StringVar(&f.Verdict, "verdict", "", "search: allow, warn or block")
	fs.StringVar(&f.Point, "point", "", "search: dns or proxy")
	fs.StringVar(&f.Ref, "ref", "", "search: the event with this block page reference number (SG-...)")
	since := fs.String("since", "", "search: from")
	until := fs.String("until", "", "search: before")
	fs.IntVar(&f.Limit, "limit", 1000, "search: at most N events, newest first (-1: all)")
	format := fs.String("format", "", "search: csv (default) or json (one object a line); summary: table (default), csv or json")
	countBy := fs.String("count-by", "day,category,verdict", "summary: what to count by, comma-separated")
	by := fs.String("by", "", "who is searching (recorded in the audit trail; default: the login name)")
	dry := fs.Bool("dry-run", false, "purge: only say what would go")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: unexpected %q\n%s", ErrUsage, pos[0], activityUsage)
	}
	now := time.Now()
	switch sub {
	case "search", "summary":
		if sub == "summary" {
			for k := range strings.SplitSeq(*countBy, ",") {
				if !slices.Contains(store.SummaryKeys, strings.TrimSpace(k)) {
					return fmt.Errorf("%w: --count-by %q (want some of %s)", ErrUsage, k, strings.Join(store.SummaryKeys, ","))
				}
			}
			if *format == "" {
				*format = "table"
			}
			if *format != "table" && *format != "csv" && *format != "json" {
				return fmt.Errorf("%w: --format %q (want table, csv or json)", ErrUsage, *format)
			}
			break
		}
		if *format == "" {
			*format = "csv"
		}
		if *format != "csv" && *format != "json" {
			return fmt.Errorf("%w: --format %q (want csv or json)", ErrUsage, *format)
		}
		if f.Limit == 0 {
			f.Limit = -1
		}
	case "purge":
	default:
		return fmt.Errorf("%w: unknown subcommand %q\n%s", ErrUsage, sub, activityUsage)
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
	loc, err := siteLocation(cfg)
	if err != nil {
		return err
	}
	if f.Since, err = parseWhen("--since", *since, loc, now, true); err != nil {
		return err
	}
	if f.Until, err = parseWhen("--until", *until, loc, now, true); err != nil {
		return err
	}
	actor := cliActor(a, *by)
	actor.Site = site // searches read this school's events
	if sub == "purge" {
		rep, err := st.Purge(ctx, actor, cfg.Retention, now, *dry)
		if err != nil {
			return err
		}
		verb := "purged"
		if *dry {
			verb = "would purge"
		}
		fmt.Fprintf(a.Stdout, "%s: %d DNS events before %s, %d other events and %d hourly aggregates before %s, %d decided requests, %d ended overrides, %d closed concerns, %d closed incidents; %d pending requests expired\n",
			verb, rep.DNSEvents, siteTime(rep.DNSBefore, loc), rep.Activity, rep.Hourly, siteTime(rep.ActivityBefore, loc), rep.Requests, rep.Overrides, rep.Concerns, rep.Incidents, rep.Expired)
		if rep.IncidentsFlagged > 0 {
			fmt.Fprintf(a.Stdout, "kept: %d closed incidents about pupils whose date of birth is unknown (add date_of_birth to the users CSV)\n", rep.IncidentsFlagged)
		}
		return nil
	}
	if sub == "summary" {
		keys := strings.Split(*countBy, ",")
		for i := range keys {
			keys[i] = strings.TrimSpace(keys[i])
		}
		rows, err := st.Summarize(ctx, actor, site, f.Since, f.Until, keys)
		if err != nil {
			return err
		}
		return writeSummary(a, *format, keys, rows)
	}
	if *format == "json" {
		enc := newJSON(a.Stdout)
		return st.SearchActivity(ctx, actor, f, func(e activity.Event) error { return enc.Encode(eventJSON(&e)) })
	}
	w := newCSV(a.Stdout)
	w.Write([]string{"time", "client", "user", "groups", "host", "url", "categories", "verdict", "illegal", "rule", "point", "search", "action", "ref"})
	err = st.SearchActivity(ctx, actor, f, func(e activity.Event) error {
		client := ""
		if e.Client.IsValid() {
			client = e.Client.String()
		}
		return w.Write([]string{e.Time.In(loc).Format(time.RFC3339Nano), client, e.User, strings.Join(e.Groups, ";"), e.Host, e.URL,
			strings.Join(e.Categories, ";"), e.Verdict, fmt.Sprint(e.Illegal), e.Rule, string(e.Point), e.Search, e.Action, e.Ref})
	})
	w.Flush()
	if err != nil {
		return err
	}
	return w.Error()
}

func eventJSON(e *activity.Event) map[string]any {
	m := map[string]any{"time": e.Time.Format(time.RFC3339Nano), "host": e.Host, "verdict": e.Verdict, "point": e.Point, "rule": e.Rule}
	if e.Client.IsValid() {
		m["client"] = e.Client.String()
	}
	for k, v := range map[string]string{"user": e.User, "url": e.URL, "search": e.Search, "action": e.Action, "ref": e.Ref} {
		if v != "" {
			m[k] = v
		}
	}
	if len(e.Groups) > 0 {
		m["groups"] = e.Groups
	}
	if len(e.Categories) > 0 {
		m["categories"] = e.Categories
	}
	if e.Illegal {
		m["illegal"] = true
	}
	return m
}

// writeSummary prints a summary as an aligned table, CSV, or JSON (one
// object a line).
func writeSummary(a *App, format string, keys []string, rows []store.SummaryRow) error {
	switch format {
	case "json":
		enc := newJSON(a.Stdout)
		for _, r := range rows {
			m := map[string]any{"count": r.Count}
			for i, k := range keys {
				m[k] = r.Values[i]
			}
			if err := enc.Encode(m); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		w := newCSV(a.Stdout)
		w.Write(append(slices.Clone(keys), "count"))
		for _, r := range rows {
			w.Write(append(slices.Clone(r.Values), strconv.FormatInt(r.Count, 10)))
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(a.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(keys, "\t"))+"\tCOUNT")
	var total int64
	for _, r := range rows {
		vals := slices.Clone(r.Values)
		for i, v := range vals {
			if v == "" {
				vals[i] = "-"
			}
			vals[i] = safe(vals[i])
		}
		fmt.Fprintf(tw, "%s\t%d\n", strings.Join(vals, "\t"), r.Count)
		total += r.Count
	}
	fmt.Fprintf(tw, "%s\t%d\n", "TOTAL"+strings.Repeat("\t", len(keys)-1), total)
	return tw.Flush()
}
