package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/safeguarding"
)

const exportUsage = `usage: schoolgate export subject USER --by DSL [--received YYYY-MM-DD] [--request ID]
                        [--withhold ITEM=EXEMPTION:REASON ...] [--out FILE.zip]
  Without --request, logs a new subject-access request (due one month after --received).
  Without --out, lists what the export holds, for review; with --out, releases it as a ZIP.
  Exemptions: serious-harm, crime, third-party, child-abuse.
--site NAME: the school (needed when the database holds several).`

// withholdFlags collects repeated --withhold values.
type withholdFlags []string

func (w *withholdFlags) String() string     { return strings.Join(*w, ",") }
func (w *withholdFlags) Set(v string) error { *w = append(*w, v); return nil }

func runExport(ctx context.Context, a *App, args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(a.Stdout, exportUsage)
		return nil
	}
	if len(args) == 0 || args[0] != "subject" {
		return fmt.Errorf("%w: export what?\n%s", ErrUsage, exportUsage)
	}
	fs := newFlags(a, "export subject")
	withUsage(a, fs, exportUsage)
	var cf commonFlags
	cf.register(a, fs)
	var sf siteFlag
	sf.register(fs)
	by := fs.String("by", "", "the dsl answering the request (required)")
	received := fs.String("received", "", "when the request arrived (YYYY-MM-DD; default today)")
	reqID := fs.Int64("request", 0, "an open request to continue")
	out := fs.String("out", "", "release the export into this ZIP file")
	var withhold withholdFlags
	fs.Var(&withhold, "withhold", "ITEM=EXEMPTION:REASON (repeatable)")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: export subject takes one USER\n%s", ErrUsage, exportUsage)
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
	actor, err := sg.actor(ctx, *by, safeguarding.SubjectAccess)
	if err != nil {
		return err
	}
	sar := safeguarding.NewSubjectRequests(safeguarding.SubjectAccessOptions{Store: st, Retention: func() config.Retention { return cfg.Retention }})
	id := *reqID
	if id == 0 {
		var at time.Time
		if *received != "" {
			loc, err := siteLocation(cfg)
			if err != nil {
				return err
			}
			if at, err = time.ParseInLocation(time.DateOnly, *received, loc); err != nil {
				return fmt.Errorf("%w: --received %q: use YYYY-MM-DD", ErrUsage, *received)
			}
		}
		r, err := sar.Open(ctx, actor, strings.ToLower(pos[0]), at)
		if err := sg.result(err); err != nil {
			return err
		}
		id = r.ID
		fmt.Fprintf(a.Stdout, "subject-access request %d for %s logged; due %s\n", r.ID, r.Username, r.DueAt.Format(time.DateOnly))
	}
	for _, w := range withhold {
		item, rest, ok1 := strings.Cut(w, "=")
		ex, reason, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: --withhold %q: use ITEM=EXEMPTION:REASON", ErrUsage, w)
		}
		if err := sg.result(sar.Withhold(ctx, actor, id, item, ex, reason)); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "withheld %s (%s)\n", item, ex)
	}
	if *out == "" {
		e, ws, err := sar.Review(ctx, actor, id)
		if err := sg.result(err); err != nil {
			return err
		}
		held := map[string]string{}
		for _, w := range ws {
			held[w.Item] = w.Exemption
		}
		tw := tabwriter.NewWriter(a.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ITEM\tWHEN\tWHAT\tWITHHELD")
		for _, s := range e.Sections {
			if s.Whole {
				fmt.Fprintf(tw, "%s\t\t%d entries: %s\t%s\n", s.Name, len(s.Items), s.Title, held[s.Name])
				continue
			}
			for _, it := range s.Items {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", it.Key, it.At.Format(time.DateOnly), it.Title, held[it.Key])
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "review it, then release with: schoolgate export subject %s --by %s --request %s --out FILE.zip\n", pos[0], *by, strconv.FormatInt(id, 10))
		return nil
	}
	e, err := sar.Release(ctx, actor, id)
	if err := sg.result(err); err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("export: %w (the request is recorded as released: write the ZIP again with a new name)", err)
	}
	if err := e.WriteZIP(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "released %d items (%d withheld) into %s\n", e.Count(), len(e.Withheld), *out)
	return nil
}
