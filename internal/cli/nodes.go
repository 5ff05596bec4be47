package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"
)

const nodesUsage = `usage: schoolgate nodes [--site NAME] [--json]
Lists the serve nodes and their last heartbeat (every 10 s): "stale" after 60 s without one.
Without --site, every site's nodes.`

func runNodes(ctx context.Context, a *App, args []string) error {
	if err := helpFor(a, args, nodesUsage); err != nil {
		return err
	}
	fs := newFlags(a, "nodes")
	withUsage(a, fs, nodesUsage)
	var cf commonFlags
	cf.register(a, fs)
	site := fs.String("site", "", "only this site's nodes")
	asJSON := fs.Bool("json", false, "one JSON object a line")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: unexpected %q\n%s", ErrUsage, pos[0], nodesUsage)
	}
	st, _, err := cliStore(ctx, a, &cf)
	if err != nil {
		return err
	}
	defer st.Close()
	scope := *site
	if scope == "" {
		scope = "*"
	}
	now := time.Now()
	list, err := st.ListNodes(ctx, scope, now)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSONLines(a.Stdout, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(a.Stdout, "no node has reported")
		return nil
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tNODE\tSTATE\tLAST SEEN\tQPS\tQUEUE\tSPOOL\tLISTS AGE\tPOLICY\tLAST ERROR")
	for _, n := range list {
		state := "ok"
		if n.Stale {
			state = "stale"
		}
		policy := n.PolicyVersion
		if policy == "" && len(n.PolicyHash) >= 12 {
			policy = n.PolicyHash[:12]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s ago\t%.1f\t%d\t%d\t%s\t%s\t%s\n", safe(n.Site), safe(n.Name), state,
			now.Sub(n.LastSeen).Truncate(time.Second), n.QPS, n.QueueDepth, n.SpoolBytes, n.ListsAge, safe(policy), safe(n.LastError))
	}
	return tw.Flush()
}
