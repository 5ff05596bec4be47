package config

import (
	"slices"
	"strings"
)

// Composition records how a policy was composed: the trust's file, the
// school's, and each cell of the effective table the school changed.
type Composition struct {
	Site       string
	TrustFile  string
	SchoolFile string // "" when the school has no file of its own
	changes    map[cellKey]Change
}

// Change is one cell of the effective table the school changed.
type Change struct {
	Row, Column string
	Trust       string // the trust's effective cell
	School      string // the composed cell
	Line        int    // the school's line that made it
}

type cellKey struct{ row, column string }

// DefaultRow names the default row in Changed and Changes.
const DefaultRow = "default"

// Changed reports whether the school changed the cell of row (a category,
// or DefaultRow) and column (a group, or "others"), and how.
func (c *Composition) Changed(row, column string) (Change, bool) {
	if c == nil {
		return Change{}, false
	}
	ch, ok := c.changes[cellKey{row, column}]
	return ch, ok
}

// SchoolChanged reports whether a school's file was composed in.
func (c *Composition) SchoolChanged() bool { return c != nil && c.SchoolFile != "" }

// Changes lists every changed cell, by row then column.
func (c *Composition) Changes() []Change {
	if c == nil {
		return nil
	}
	out := make([]Change, 0, len(c.changes))
	for _, ch := range c.changes {
		out = append(out, ch)
	}
	slices.SortFunc(out, func(a, b Change) int {
		if r := strings.Compare(a.Row, b.Row); r != 0 {
			return r
		}
		return strings.Compare(a.Column, b.Column)
	})
	return out
}

// Effective is the cell a client of group column alone gets for row in c:
// the row's cell for the group, else its others cell, else the default
// row's (as the engine resolves it). A group c does not have is read as
// others; a category c does not have, as the default row.
func Effective(c *Config, row, column string) string {
	if row != DefaultRow {
		r, _ := c.Rules.Get(row)
		if v, ok := rowCell(r, column); ok {
			return v
		}
	}
	if v, ok := rowCell(defaultRow(c), column); ok {
		return v
	}
	return "allow"
}

func rowCell(r Row, column string) (string, bool) {
	if v, ok := r.Cells.Get(column); ok {
		return strings.TrimSpace(v), true
	}
	if v, ok := r.Cells.Get("others"); ok {
		return strings.TrimSpace(v), true
	}
	return "", false
}

// changedCells compares the effective tables of the trust and the
// composition, cell by cell.
func changedCells(trust, out, school *Config) map[cellKey]Change {
	changes := map[cellKey]Change{}
	rows := append(out.Categories.Names(), DefaultRow)
	cols := append(out.Groups.Names(), "others")
	for _, r := range rows {
		for _, col := range cols {
			tv, cv := Effective(trust, r, col), Effective(out, r, col)
			if _, known := trust.Categories.Get(r); !known && r != DefaultRow {
				tv = Effective(trust, DefaultRow, col)
			}
			if tv == cv {
				continue
			}
			changes[cellKey{r, col}] = Change{Row: r, Column: col, Trust: tv, School: cv, Line: schoolLine(school, r, col)}
		}
	}
	return changes
}

// schoolLine is the school's line behind a changed cell: its cell, else
// its row, else its default row's.
func schoolLine(s *Config, row, column string) int {
	r := s.Default
	if row != DefaultRow {
		if own, ok := s.Rules.Get(row); ok {
			r = own
		}
	}
	for _, name := range []string{column, "others"} {
		for _, c := range r.Cells {
			if c.Name == name {
				return c.Line
			}
		}
	}
	return r.Line
}
