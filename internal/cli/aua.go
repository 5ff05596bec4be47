package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
)

const auaUsage = `usage: schoolgate aua status [--group G] [--json]
--site NAME: the school (needed when the database holds several).`

// runAUA reports acceptable-use agreements: `aua status` lists, per group
// with an agreement in the policy's aua: section, the users who have not
// accepted its current version.
func runAUA(ctx context.Context, a *App, args []string) error {
	if err := helpFor(a, args, auaUsage); err != nil {
		return err
	}
	if len(args) == 0 || args[0] != "status" {
		return fmt.Errorf("%w: aua needs status\n%s", ErrUsage, auaUsage)
	}
	fs := newFlags(a, "aua status")
	withUsage(a, fs, auaUsage)
	var cf commonFlags
	cf.register(a, fs)
	group := fs.String("group", "", "only this group")
	var sf siteFlag
	sf.register(fs)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	fs.String("by", "", "who is reading (free text; a read command never checks it)")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected %q\n%s", ErrUsage, pos[0], auaUsage)
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
	if len(cfg.AUA) == 0 {
		fmt.Fprintln(a.Stderr, "the policy has no aua: section: nobody needs to accept an agreement")
		return nil
	}
	if *group != "" {
		if _, ok := cfg.AUA.Get(*group); !ok {
			return fmt.Errorf("%w: --group %q has no agreement in the policy's aua: section", ErrUsage, *group)
		}
	}
	type row struct {
		Group   string `json:"group"`
		Version string `json:"version"`
		User    string `json:"user"`
		Name    string `json:"name,omitempty"`
	}
	var rows []row
	for _, e := range cfg.AUA {
		if *group != "" && e.Name != *group {
			continue
		}
		users, err := st.NotAccepted(ctx, site, cfg.Identity, e.Name, e.Value.Version)
		if err != nil {
			return err
		}
		for _, u := range users {
			rows = append(rows, row{Group: e.Name, Version: e.Value.Version, User: u.Username, Name: u.DisplayName})
		}
	}
	if *asJSON {
		return writeJSONLines(a.Stdout, rows)
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tVERSION\tUSER\tNAME")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Group, safe(r.Version), safe(r.User), safe(r.Name))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.Stderr, "%d not accepted\n", len(rows))
	return nil
}
