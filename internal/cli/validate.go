package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"schoolgate/internal/listsync"
	"schoolgate/internal/policy"
	"schoolgate/internal/safeguarding"
)

func runValidate(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "validate")
	withUsage(a, fs, "usage: schoolgate validate -c policy.yaml [-v] [--school school.yaml ...]\nChecks a policy file and its lists without serving, and prints their counts.\nA school's file (extends:) prints its effective table; a trust's file (sites:) prints each school's,\ncomposed with the school's own file where --school gives it.")
	var cf commonFlags
	cf.register(a, fs)
	verbose := fs.Bool("v", false, "print every skipped line kept as an example")
	allowEmpty := fs.Bool("allow-empty", false, "exit 0 even when a category has no entries or a downloaded list is missing or stale")
	overlaps := fs.Bool("overlaps", false, "list entries found in several categories whose rows answer a group differently, and the row that wins")
	format := fs.String("format", "table", "with --overlaps: table or json")
	var schools []string
	fs.Func("school", "a trust's file: compose this school's file (extends: the trust's) for its table (repeatable)", func(v string) error { schools = append(schools, v); return nil })
	limit := fs.Int("limit", 200, "with --overlaps: list at most this many entries (0 for all)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		return fmt.Errorf("%w: --format %q (want table or json)", ErrUsage, *format)
	}
	if *limit < 0 {
		return fmt.Errorf("%w: --limit %d (want 0 for all, or more)", ErrUsage, *limit)
	}
	path, err := cf.configPath(a)
	if err != nil {
		return err
	}
	snap, err := policy.LoadFile(path, policy.Options{DataDir: cf.data})
	if err != nil {
		return err
	}
	if err := checkIdentity(path, snap); err != nil {
		return err
	}
	if err := safeguarding.CheckSanctions(snap.Config()); err != nil {
		return err
	}
	if err := checkSelftest(a.Stdout, path, snap); err != nil {
		return err
	}
	checkPortal(a.Stdout, path, snap.Config())
	// The engine never applies these; the policy file still must not ask.
	if errs := snap.LockedExceptions(); len(errs) > 0 {
		return errors.Join(errs...)
	}
	if *overlaps {
		return writeOverlaps(a.Stdout, snap, *format, *limit)
	}
	if err := validateKeywords(a, snap, cf.data); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CATEGORY\tSOURCE\tFORMAT\tENTRIES\tSKIPPED\tNOTE")
	for _, s := range snap.Sources() {
		note := ""
		if s.Missing {
			note = "not downloaded yet: loads empty"
		}
		if s.Unsupported > 0 {
			note = fmt.Sprintf("%d adblock rules of other types not applied", s.Unsupported)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", s.Category, s.Source, s.Format, s.Entries, s.Skipped, note)
	}
	tw.Flush()
	for _, s := range snap.Sources() {
		n := len(s.Examples)
		if !*verbose {
			n = min(n, 3)
		}
		for _, ex := range s.Examples[:n] {
			fmt.Fprintf(a.Stdout, "skipped %s\n", safe(fmt.Sprint(ex)))
		}
	}
	problems := listsync.Health(snap, time.Now())
	for _, w := range snap.Warnings() {
		if len(problems) > 0 && strings.Contains(w, " has not been downloaded yet") {
			continue // said below, as an error
		}
		fmt.Fprintf(a.Stdout, "warning: %s\n", safe(w))
	}
	level := "error"
	if *allowEmpty {
		level = "warning"
	}
	for _, p := range problems {
		fmt.Fprintf(a.Stdout, "%s: %s:%d: category %s: %s\n", level, path, p.Line, p.Category, p)
	}
	if len(problems) > 0 && !*allowEmpty {
		return fmt.Errorf("%s: %d categories filter less than the policy says (--allow-empty accepts this)", path, len(problems))
	}
	if err := validateComposition(a.Stdout, path, snap, schools, policy.Options{DataDir: cf.data}); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "%s: OK: %d categories, %d groups, %d distinct entries, compiled in %s\n",
		path, len(snap.Categories()), len(snap.Groups()), snap.Entries(), snap.CompileTime().Round(1e6))
	return nil
}
