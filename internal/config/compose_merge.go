package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// merger lays a school's file over the trust's policy.
type merger struct {
	trust, school, out *Config
	file               string // the school's file, for messages
	relax              map[string]bool
	levels             map[string]*weekLevels
}

func (m *merger) errf(line int, field, format string, args ...any) error {
	return &Error{File: m.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// kindError is a located error that is also one of the sentinels.
type kindError struct {
	err  error
	kind error
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.err, e.kind} }

func as(kind, err error) error { return &kindError{err: err, kind: kind} }

func (m *merger) trustAt(line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d", fileOf(m.trust), line)
	}
	return fileOf(m.trust)
}

// checkKeys refuses the sections that are the trust's alone.
func (m *merger) checkKeys() error {
	keys := make([]string, 0, len(m.school.keys))
	for k := range m.school.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !schoolKeys[k] {
			return as(ErrTrustOnly, m.errf(m.school.keys[k], k, "a school's file may not set %s: it is the trust's (%s)", k, fileOf(m.trust)))
		}
	}
	s := m.school.Site
	if s.Name != "" || s.SchoolDayEnd != "" || (s.Timezone != "" && s.Timezone != "UTC") {
		return as(ErrTrustOnly, m.errf(m.school.keys["site"], "site", "a school's file names only its site.id; its name, timezone and school_day_end are under sites: in the trust's policy (%s)", fileOf(m.trust)))
	}
	return nil
}

// categories adds the school's own; the trust's are never redefined.
func (m *merger) categories() error {
	for _, e := range m.school.Categories {
		if t, ok := m.trust.Categories.Get(e.Name); ok {
			return as(ErrTrustOnly, m.errf(e.Line, "categories."+e.Name, "defined by the trust's policy (%s): a school may add categories of its own, not redefine the trust's", m.trustAt(t.Line)))
		}
		e.Value.Sources = absSources(m.school, e.Value.Sources)
		m.out.Categories = append(m.out.Categories, e)
	}
	return nil
}

// schedules adds the school's own; the trust's keep their meaning.
func (m *merger) schedules() error {
	names := make([]string, 0, len(m.school.Schedules))
	for k := range m.school.Schedules {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		w := m.school.Schedules[name]
		if _, ok := m.trust.Schedules[name]; ok {
			line := 0
			if len(w) > 0 {
				line = w[0].Line
			}
			return as(ErrTrustOnly, m.errf(line, "schedules."+name, "defined by the trust's policy: a school may add schedules of its own, not change the trust's"))
		}
		m.out.Schedules[name] = w
	}
	return nil
}

// groups adds networks to the trust's groups, and the school's own groups
// after them (so a trust group's cell is matched first).
func (m *merger) groups() error {
	for _, e := range m.school.Groups {
		i := slices.IndexFunc(m.out.Groups, func(g Entry[Group]) bool { return g.Name == e.Name })
		if i < 0 || i >= len(m.trust.Groups) {
			if i >= 0 {
				return m.errf(e.Line, "groups."+e.Name, "given twice")
			}
			m.out.Groups = append(m.out.Groups, e)
			continue
		}
		g := e.Value
		if len(g.Users) > 0 || g.SafeSearch != "" || g.Portal {
			return as(ErrTrustOnly, m.errf(e.Line, "groups."+e.Name, "group %s is the trust's (%s): a school may add networks to it, nothing else", e.Name, m.trustAt(m.trust.Groups[i].Line)))
		}
		merged := m.out.Groups[i]
		merged.Value.Networks = append(slices.Clone(merged.Value.Networks), g.Networks...)
		m.out.Groups[i] = merged
	}
	return nil
}

// exceptions adds the school's. The engine never lets one open a locked or
// illegal category's hosts (policy.LockedExceptions), and validate refuses.
func (m *merger) exceptions() error {
	m.out.Exceptions = append(m.out.Exceptions, m.school.Exceptions...)
	return nil
}

// nodeSections takes the node's own settings from the school's file when
// it gives them.
func (m *merger) nodeSections() {
	s, k := m.school, m.school.keys
	if k == nil {
		return
	}
	set := func(key string, f func()) {
		if _, ok := k[key]; ok {
			f()
		}
	}
	set("dns", func() { m.out.DNS = s.DNS })
	set("proxy", func() { m.out.Proxy = s.Proxy })
	set("blockpage", func() { m.out.BlockPage = s.BlockPage })
	set("console", func() { m.out.Console = s.Console })
	set("admin", func() { m.out.Admin = s.Admin })
	set("storage", func() { m.out.Storage = s.Storage })
	set("identity", func() { m.out.Identity = s.Identity })
	set("portal_allow", func() { m.out.PortalAllow = s.PortalAllow })
}

// rows lays the school's rows over the trust's, refusing any cell less
// strict than the trust's (see notLooser).
func (m *merger) rows() error {
	for _, e := range m.school.Rules {
		field := "rules." + e.Name
		if _, ok := m.out.Categories.Get(e.Name); !ok {
			return m.errf(e.Line, field, "unknown category %q", e.Name)
		}
		if t, ok := m.trust.Categories.Get(e.Name); ok && (t.Illegal || t.Locked) {
			return as(ErrTrustOnly, m.errf(e.Line, field, "category %s is illegal or locked in the trust's policy (%s): its row is the trust's alone", e.Name, m.trustAt(t.Line)))
		}
		trow, _ := m.trust.Rules.Get(e.Name)
		if err := m.checkRow(field, trow, e.Value, false, m.relax[e.Name]); err != nil {
			return err
		}
		merged := overlay(trow, e.Value)
		if i := slices.IndexFunc(m.out.Rules, func(r Entry[Row]) bool { return r.Name == e.Name }); i >= 0 {
			m.out.Rules[i].Value = merged
		} else {
			m.out.Rules = append(m.out.Rules, Entry[Row]{Name: e.Name, Value: merged, Line: e.Line})
		}
	}
	if m.school.Default.Set {
		if err := m.checkRow("default", defaultRow(m.trust), m.school.Default, true, false); err != nil {
			return err
		}
		m.out.Default = overlay(defaultRow(m.trust), m.school.Default)
	}
	return m.newGroups()
}

// newGroups holds each of the school's own groups to the trust's
// default_group in every row but the relaxable ones: a client the school
// places in its own group alone was, under the trust's policy, in the
// default group.
func (m *merger) newGroups() error {
	dg := m.trust.DefaultGroup
	if dg == "" {
		return nil
	}
	rows := append(m.out.Categories.Names(), DefaultRow)
	for _, g := range m.out.Groups[len(m.trust.Groups):] {
		for _, r := range rows {
			if m.relax[r] {
				continue
			}
			trow := r
			if _, ok := m.trust.Categories.Get(r); !ok {
				trow = DefaultRow
			}
			got := Entry[string]{Name: g.Name, Value: Effective(m.out, r, g.Name), Line: g.Line}
			want := Entry[string]{Name: "default_group " + dg, Value: Effective(m.trust, trow, dg)}
			if err := m.atLeast(fmt.Sprintf("groups.%s (rules.%s)", g.Name, r), got, want); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *merger) checkRow(field string, trow, srow Row, isDefault, relaxable bool) error {
	for _, ce := range srow.Cells {
		f := field + "." + ce.Name
		if ce.Name != "others" {
			if _, ok := m.out.Groups.Get(ce.Name); !ok {
				return m.errf(ce.Line, f, "unknown group %q (groups: %s, or others)", ce.Name, strings.Join(m.out.Groups.Names(), ", "))
			}
		}
		if relaxable {
			continue
		}
		for _, want := range m.floor(trow, ce.Name, isDefault) {
			if err := m.atLeast(f, ce, want); err != nil {
				return err
			}
		}
	}
	return nil
}

// floor lists the trust's cells a school's cell for column must be at
// least as strict as. A cell the trust gave is compared with that cell.
// A cell the trust did not give takes over, for a client in several
// groups, from the trust's cells of the groups declared after it and
// from the row's fallback (its others cell, else any cell of the default
// row), so it must be at least as strict as each; a school's own group
// also takes over from the trust's default_group.
func (m *merger) floor(trow Row, column string, isDefault bool) []Entry[string] {
	if v, ok := trow.Cells.Get(column); ok {
		return []Entry[string]{{Name: column, Value: v, Line: lineOf(trow, column)}}
	}
	var out []Entry[string]
	if column != "others" {
		after := false
		for _, g := range m.trust.Groups {
			if g.Name == column {
				after = true
				continue
			}
			if v, ok := trow.Cells.Get(g.Name); ok && after {
				out = append(out, Entry[string]{Name: g.Name, Value: v, Line: lineOf(trow, g.Name)})
			}
		}
		if _, own := m.trust.Groups.Get(column); !own && m.trust.DefaultGroup != "" {
			if v, ok := trow.Cells.Get(m.trust.DefaultGroup); ok {
				out = append(out, Entry[string]{Name: m.trust.DefaultGroup, Value: v, Line: lineOf(trow, m.trust.DefaultGroup)})
			}
		}
	}
	if v, ok := trow.Cells.Get("others"); ok {
		return append(out, Entry[string]{Name: "others", Value: v, Line: lineOf(trow, "others")})
	}
	if isDefault {
		return append(out, Entry[string]{Name: "others", Value: "allow"})
	}
	for _, c := range defaultRow(m.trust).Cells {
		out = append(out, Entry[string]{Name: "default." + c.Name, Value: c.Value, Line: c.Line})
	}
	return out
}

func lineOf(r Row, column string) int {
	for _, c := range r.Cells {
		if c.Name == column {
			return c.Line
		}
	}
	return r.Line
}

// atLeast refuses the school's cell when at some minute of the week it
// answers less strictly than the trust's cell want.
func (m *merger) atLeast(field string, got, want Entry[string]) error {
	g, err := m.weekOf(got.Value)
	if err != nil {
		return m.errf(got.Line, field, "%v", err)
	}
	w, err := m.weekOf(want.Value)
	if err != nil {
		return m.errf(got.Line, field, "the trust's cell %s: %v", want.Name, err)
	}
	if minute, looser := g.looserThan(w); looser {
		what := "the trust's " + want.Name + " cell"
		if want.Name == field[strings.LastIndex(field, ".")+1:] {
			what = "the trust's cell"
		}
		return as(ErrRelaxed, m.errf(got.Line, field, "%q is less strict than %s %q (%s) at %s; only the categories the trust lists under relaxable: may be relaxed", strings.TrimSpace(got.Value), what, strings.TrimSpace(want.Value), m.trustAt(want.Line), minuteName(minute)))
	}
	return nil
}

func (m *merger) weekOf(cell string) (*weekLevels, error) {
	if m.levels == nil {
		m.levels = map[string]*weekLevels{}
	}
	key := strings.TrimSpace(cell)
	if w, ok := m.levels[key]; ok {
		return w, nil
	}
	w, err := cellWeek(key, m.out.Schedules)
	if err != nil {
		return nil, err
	}
	m.levels[key] = w
	return w, nil
}

// overlay is the trust's row with the school's cells in place of its own
// and the school's new cells after them.
func overlay(trow, srow Row) Row {
	out := Row{Set: true, Line: trow.Line, Cells: slices.Clone(trow.Cells)}
	if !trow.Set {
		out.Line = srow.Line
	}
	for _, c := range srow.Cells {
		if i := slices.IndexFunc(out.Cells, func(t Entry[string]) bool { return t.Name == c.Name }); i >= 0 {
			out.Cells[i] = c
		} else {
			out.Cells = append(out.Cells, c)
		}
	}
	return out
}

// defaultRow is the policy's default row; without one, everything else
// is allowed.
func defaultRow(c *Config) Row {
	if c.Default.Set {
		return c.Default
	}
	return Row{Set: true, Cells: Ordered[string]{{Name: "others", Value: "allow"}}}
}
