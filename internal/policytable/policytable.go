// Package policytable renders the school's policy as the seed policies
// print it: rows are categories, columns are groups, and each cell is in
// the policy's own words ("Acceptable", "Acceptable at certain times
// (Mon–Fri 10:30–10:45)", "Allowed with staff permission", "Allowed after
// a warning", "Unacceptable", "Unacceptable and illegal"). It is pure: the
// console, the API and the governors' reports render the same table from
// the running snapshot.
package policytable

import (
	"fmt"
	"slices"
	"strings"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// The cells' words.
const (
	Acceptable       = "Acceptable"
	AtCertainTimes   = "Acceptable at certain times"
	ExceptAtTimes    = "Acceptable except at certain times"
	WithPermission   = "Allowed with staff permission"
	AfterWarning     = "Allowed after a warning"
	Unacceptable     = "Unacceptable"
	UnacceptableLaw  = "Unacceptable and illegal"
	DefaultRowTitle  = "Everything else"
	DefaultRowName   = "default"
	othersColumnName = "others"
)

// Kind is a cell's meaning, for styling.
type Kind string

// The kinds of cell.
const (
	KindAllow      Kind = "allow"
	KindTimes      Kind = "times"
	KindPermission Kind = "permission"
	KindWarn       Kind = "warn"
	KindBlock      Kind = "block"
	KindIllegal    Kind = "illegal"
)

// Grid is the whole table.
type Grid struct {
	Groups []string
	Rows   []Row
}

// Row is one category (or the default row, last).
type Row struct {
	Category string
	Title    string
	Illegal  bool
	Locked   bool
	Default  bool
	Cells    []Cell // one per group, in Groups' order
}

// Cell is one group's answer for a category.
type Cell struct {
	Text string // in the seeds' words
	Kind Kind
	Rule string // the policy file's cell, e.g. "allow during lunch"
	// Changed is set when a school's file changed the trust's cell
	// (config.Compose); Trust is then the trust's cell.
	Changed bool
	Trust   string
}

// Table builds the grid from a compiled snapshot: a category without a
// row of its own, or a row that names neither the group nor others,
// falls to the default row, as the engine does.
func Table(s *policy.Snapshot) Grid {
	c := s.Config()
	g := Grid{Groups: s.Groups()}
	def := c.Default
	if !def.Set {
		def = config.Row{Set: true, Cells: config.Ordered[string]{{Name: othersColumnName, Value: "allow"}}}
	}
	for i, cat := range s.Categories() {
		r := Row{Category: cat, Title: s.CategoryTitle(i), Illegal: s.IsIllegal(i), Locked: s.Locked(cat)}
		if r.Title == "" {
			r.Title = cat
		}
		own, _ := c.Rules.Get(cat)
		for _, grp := range g.Groups {
			rule, ok := cellFor(own, grp)
			if !ok {
				rule, _ = cellFor(def, grp)
			}
			r.Cells = append(r.Cells, marked(c, cat, grp, describe(c, rule, r.Illegal)))
		}
		g.Rows = append(g.Rows, r)
	}
	r := Row{Category: DefaultRowName, Title: DefaultRowTitle, Default: true}
	for _, grp := range g.Groups {
		rule, _ := cellFor(def, grp)
		r.Cells = append(r.Cells, marked(c, DefaultRowName, grp, describe(c, rule, false)))
	}
	g.Rows = append(g.Rows, r)
	return g
}

// marked notes on cl whether the school changed the trust's cell.
func marked(c *config.Config, row, group string, cl Cell) Cell {
	if ch, ok := c.Composed.Changed(row, group); ok {
		cl.Changed, cl.Trust = true, ch.Trust
	}
	return cl
}

// cellFor is the row's cell for a group, else its others cell.
func cellFor(r config.Row, group string) (string, bool) {
	if v, ok := r.Cells.Get(group); ok {
		return strings.TrimSpace(v), true
	}
	if v, ok := r.Cells.Get(othersColumnName); ok {
		return strings.TrimSpace(v), true
	}
	return "", false
}

// describe puts a policy cell in the seeds' words. A cell it cannot read
// (the snapshot compiled, so this should not happen) is shown as written
// and as a block, never as acceptable.
func describe(c *config.Config, rule string, illegal bool) Cell {
	for _, k := range []struct {
		prefix, words string
		kind          Kind
	}{{"allow during ", AtCertainTimes, KindTimes}, {"block during ", ExceptAtTimes, KindTimes}} {
		if rest, ok := strings.CutPrefix(rule, k.prefix); ok {
			var parts []string
			for _, name := range strings.Split(rest, ",") {
				parts = append(parts, When(c.Schedules[strings.TrimSpace(name)]))
			}
			return Cell{Text: k.words + " (" + strings.Join(parts, "; ") + ")", Kind: k.kind, Rule: rule}
		}
	}
	v, err := policy.ParseVerdict(rule)
	if err != nil {
		return Cell{Text: Unacceptable + " (unreadable cell " + fmt.Sprintf("%q", rule) + ")", Kind: KindBlock, Rule: rule}
	}
	switch v {
	case policy.Allow:
		return Cell{Text: Acceptable, Kind: KindAllow, Rule: rule}
	case policy.Warn:
		return Cell{Text: AfterWarning, Kind: KindWarn, Rule: rule}
	case policy.Permission:
		return Cell{Text: WithPermission, Kind: KindPermission, Rule: rule}
	}
	if illegal {
		return Cell{Text: UnacceptableLaw, Kind: KindIllegal, Rule: rule}
	}
	return Cell{Text: Unacceptable, Kind: KindBlock, Rule: rule}
}

var dayOrder = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

var dayWords = map[string]string{
	"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun",
	"monday": "Mon", "tuesday": "Tue", "wednesday": "Wed", "thursday": "Thu", "friday": "Fri", "saturday": "Sat", "sunday": "Sun",
}

// When is a schedule in words: windows on the same days share them, as
// "Mon–Fri 10:30–10:45, 12:15–13:15; Sat 09:00–12:00".
func When(ws []config.Window) string {
	type span struct {
		days  string
		times []string
	}
	var spans []*span
	for _, w := range ws {
		d := days(w.Days)
		t := w.From + "–" + w.To
		i := slices.IndexFunc(spans, func(s *span) bool { return s.days == d })
		if i < 0 {
			spans = append(spans, &span{days: d})
			i = len(spans) - 1
		}
		spans[i].times = append(spans[i].times, t)
	}
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.days + " " + strings.Join(s.times, ", ")
	}
	return strings.Join(out, "; ")
}

// days is a set of days in week order, consecutive runs of three or
// more joined with a dash ("Mon–Fri", "Mon, Wed").
func days(in []string) string {
	have := map[string]bool{}
	for _, d := range in {
		if w, ok := dayWords[strings.ToLower(d)]; ok {
			have[strings.ToLower(w)] = true
		}
	}
	var parts []string
	for i := 0; i < len(dayOrder); {
		if !have[dayOrder[i]] {
			i++
			continue
		}
		j := i
		for j+1 < len(dayOrder) && have[dayOrder[j+1]] {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, dayWords[dayOrder[i]]+"–"+dayWords[dayOrder[j]])
		default:
			for k := i; k <= j; k++ {
				parts = append(parts, dayWords[dayOrder[k]])
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// Text is the grid as plain text, one category a block: its title (and
// whether it is locked), then each group's cell.
func (g Grid) Text() string {
	var b strings.Builder
	for _, r := range g.Rows {
		b.WriteString(r.Title)
		if r.Locked {
			b.WriteString(" [locked]")
		}
		b.WriteString("\n")
		for i, c := range r.Cells {
			fmt.Fprintf(&b, "  %s: %s\n", g.Groups[i], c.Text)
		}
	}
	return b.String()
}
