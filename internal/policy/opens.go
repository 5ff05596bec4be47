package policy

import (
	"fmt"
	"time"
)

// What an allow may open. The rules table is the school's policy; a live
// override or an exception that allows may only open the cells its kind is
// for, so no one can widen a grant beyond the cell it was meant for:
//
//   - a grant (and any kind not known here) opens permission and warn cells;
//   - a click-through (continue) opens warn cells, and the warning an
//     exception gives;
//   - an approved unblock request, or an exception in the policy file, opens
//     block cells too;
//   - none of them opens a locked category for a group whose cell does not
//     already allow it (illegal categories are locked, and come first
//     anyway); a click-through still passes a locked category's warn cell,
//     which is the row's own answer.
//
// Blocks (suspensions, block exceptions) are never limited.

// Override kinds, as internal/store names them; any other (a "grant") is
// judged as a grant.
const (
	kindUnblock  = "unblock"
	kindContinue = "continue"
	// kindException judges the policy file's exceptions.
	kindException = "exception"
)

// opensUpTo is the most restrictive cell an allow of kind may open, in an
// unlocked category and in a locked one.
func opensUpTo(kind string) (open, locked Verdict) {
	switch kind {
	case kindContinue:
		return Warn, Warn
	case kindUnblock, kindException:
		return Block, Allow
	}
	return Permission, Allow // a grant, and any kind unknown: fail safe
}

// opens reports whether an override or exception of kind with verdict v
// applies over a cell that says cell, in a category locked or not.
func opens(kind string, v, cell Verdict, locked bool) bool {
	if v >= Block {
		return true
	}
	lo, ll := opensUpTo(kind)
	if locked {
		lo = ll
	}
	return cell <= max(v, lo)
}

// openRank orders allow kinds by how much they may open, so that of two
// allows for one category Decide keeps the one that opens more.
func openRank(kind string) int {
	switch kind {
	case kindUnblock:
		return 2
	case kindContinue:
		return 0
	}
	return 1
}

// cellMax is the most restrictive cell, for the query's groups at its time,
// of the target's unlocked categories (the default row when it is in none)
// and of its locked ones. Decide fills it only when an allow needs judging.
type cellMax struct {
	done         bool
	open, locked Verdict
}

func (s *Snapshot) fillCellMax(c *cellMax, cats, groups Set, at time.Time, lt *localTime, d *Decision) {
	c.done = true
	if cats.Empty() {
		c.open, _, _, _ = s.resolve(s.defRow, groups, at, lt, d)
		return
	}
	cats.Each(func(ci int) {
		rw := s.rows[ci]
		if rw == nil {
			rw = s.defRow
		}
		v, _, _, _ := s.resolve(rw, groups, at, lt, d)
		if s.cats[ci].locked {
			c.locked = max(c.locked, v)
		} else {
			c.open = max(c.open, v)
		}
	})
}

// allows reports whether a target allow of kind and verdict v applies:
// every cell of the target must be one it may open.
func (c *cellMax) allows(kind string, v Verdict) bool {
	return opens(kind, v, c.open, false) && opens(kind, v, c.locked, true)
}

// refusal says why an allow of kind and verdict v does not apply to a
// target in cats, for groups at t, or "" when it applies. Its words are
// those of check's not_applied. It judges exactly as Decide does, one cell
// at a time, off the hot path.
func (s *Snapshot) refusal(kind string, v Verdict, cats, groups Set, at time.Time) string {
	if v >= Block {
		return ""
	}
	if ill := cats.And(s.illegal); !ill.Empty() {
		return "the category is illegal: " + s.cats[ill.First()].name
	}
	var lt localTime
	var d Decision
	why := ""
	judge := func(rw *row, ci int) {
		if why != "" {
			return
		}
		cell, g, sched, used := s.resolve(rw, groups, at, &lt, &d)
		locked := ci >= 0 && s.cats[ci].locked
		if opens(kind, v, cell, locked) {
			return
		}
		if locked {
			why = "the category is locked: " + s.cats[ci].name
			return
		}
		cl := used.cellFor(g)
		when := ""
		if sched {
			when = " and it is outside that time"
			if cl.kind == cellBlockDuring {
				when = " and it is within that time"
			}
		}
		why = fmt.Sprintf("the cell is %s%s: %s", cl.text, when, s.cellRule(used, g))
	}
	if cats.Empty() {
		judge(s.defRow, -1)
		return why
	}
	cats.Each(func(ci int) {
		rw := s.rows[ci]
		if rw == nil {
			rw = s.defRow
		}
		judge(rw, ci)
	})
	return why
}

// cellFor is the cell a group index (or -1 for others) reads in the row.
func (rw *row) cellFor(g int) *cell {
	if g >= 0 && g < len(rw.byGroup) && rw.byGroup[g] >= 0 {
		return &rw.cells[rw.byGroup[g]]
	}
	return &rw.cells[rw.others]
}

// cellRule names a row's cell as Rule does: rules.games.pupils-ks2,
// default.others, or default when written as a bare verdict.
func (s *Snapshot) cellRule(rw *row, g int) string {
	prefix := "rules." + rw.name
	if rw == s.defRow {
		if s.cfg.Default.Bare || !s.cfg.Default.Set {
			return "default"
		}
		prefix = "default"
	}
	if g >= 0 && g < len(rw.byGroup) && rw.byGroup[g] >= 0 {
		return prefix + "." + s.groups[g].name
	}
	return prefix + ".others"
}

// OverrideApplies reports whether the engine would apply o for a client in
// groups at time at, and if not why, in the words of check's not_applied
// ("the cell is block: rules.gambling.others", "the category is locked:
// adult"). The domain layer calls it when an override is created, to
// refuse one that would not apply. A category override is judged on that
// category's row; a target override on the categories the target is in (or
// the default row when it is in none). A block always applies, and so does
// an allow for every site, which the engine judges site by site.
func (s *Snapshot) OverrideApplies(o *Override, groups Set, at time.Time) (ok bool, why string) {
	if o.Verdict >= Block {
		return true, ""
	}
	var cats Set
	switch {
	case o.Category != "":
		ci, found := s.catIndex[o.Category]
		if !found {
			return false, fmt.Sprintf("unknown category %q", o.Category)
		}
		cats.Add(ci)
	case o.Target != "":
		host, path, err := ParseTargetEntry(o.Target)
		if err != nil {
			return false, err.Error()
		}
		d := s.Decide(&Query{Host: host, Path: path, Groups: groups, At: at})
		if o.Kind == kindContinue && d.Verdict == Warn && d.Source == SourceException {
			return true, "" // the click-through of an exception's warning
		}
		cats = d.Categories
	default:
		return true, ""
	}
	why = s.refusal(o.Kind, o.Verdict, cats, groups, at)
	return why == "", why
}
