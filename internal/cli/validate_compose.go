package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/policytable"
)

// validateComposition prints the effective table of a school's file, or of
// each school under a trust file's sites: (composed with the school's own
// file where --school gives it), checking each composition as validate
// checks a file.
func validateComposition(w io.Writer, path string, snap *policy.Snapshot, schools []string, opt policy.Options) error {
	c := snap.Config()
	if c.Composed != nil {
		if len(schools) > 0 {
			return fmt.Errorf("%w: --school goes with the trust's file; %s is a school's", ErrUsage, path)
		}
		writeEffective(w, snap)
		return nil
	}
	if len(c.Sites) == 0 {
		if len(schools) > 0 {
			return fmt.Errorf("%w: --school: %s lists no schools under sites:", ErrUsage, path)
		}
		return nil
	}
	own, err := loadSchools(c, schools)
	if err != nil {
		return err
	}
	for _, site := range c.Sites.Names() {
		composed, err := config.Compose(c, own[site], site)
		if err != nil {
			return err
		}
		s, err := policy.Compile(composed, opt)
		if err != nil {
			return err
		}
		if errs := s.LockedExceptions(); len(errs) > 0 {
			return errors.Join(errs...)
		}
		writeEffective(w, s)
	}
	return nil
}

// loadSchools reads the school files given with --school, by site; each
// must extend the trust's file.
func loadSchools(trust *config.Config, paths []string) (map[string]*config.Config, error) {
	out := map[string]*config.Config{}
	for _, p := range paths {
		s, err := config.Load(p)
		if err != nil {
			return nil, err
		}
		if s.Extends == "" || filepath.Clean(s.Path(s.Extends)) != filepath.Clean(trust.File) {
			return nil, fmt.Errorf("%w: --school %s: it must say extends: with the path of %s", ErrUsage, p, trust.File)
		}
		if _, dup := out[s.Site.ID]; dup {
			return nil, fmt.Errorf("%w: --school %s: a second file for site %s", ErrUsage, p, s.Site.ID)
		}
		if _, ok := trust.Sites.Get(s.Site.ID); !ok {
			return nil, fmt.Errorf("%s: site.id %q is not under sites: in %s (schools: %s)", p, s.Site.ID, trust.File, strings.Join(trust.Sites.Names(), ", "))
		}
		out[s.Site.ID] = s
	}
	return out, nil
}

// writeEffective prints a composed policy's table: the cell each group
// gets, a * on the cells the school changed, then each change with the
// trust's cell.
func writeEffective(w io.Writer, snap *policy.Snapshot) {
	c := snap.Config()
	by := "the trust's policy alone"
	if c.Composed.SchoolFile != "" {
		by = "* marks a cell " + c.Composed.SchoolFile + " changed"
	}
	fmt.Fprintf(w, "\nsite %s (%s): effective table; %s\n", c.Site.ID, safe(c.Site.Name), by)
	g := policytable.Table(snap)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "CATEGORY\t%s\n", strings.Join(g.Groups, "\t"))
	for _, r := range g.Rows {
		cells := make([]string, len(r.Cells))
		for i, cl := range r.Cells {
			cells[i] = cl.Rule
			if cl.Changed {
				cells[i] += " *"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\n", r.Category, strings.Join(cells, "\t"))
	}
	tw.Flush()
	for _, ch := range c.Composed.Changes() {
		field := "rules." + ch.Row
		if ch.Row == config.DefaultRow {
			field = "default"
		}
		fmt.Fprintf(w, "changed %s.%s (%s:%d): %q, the trust's %q\n", field, ch.Column, c.Composed.SchoolFile, ch.Line, ch.School, ch.Trust)
	}
}
