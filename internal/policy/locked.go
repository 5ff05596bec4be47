package policy

import (
	"fmt"
	"log/slog"
)

// LockedExceptions are the policy file's exceptions that would open a
// locked category, each a *config.Error naming the file, line and field.
// Decide never applies them; `schoolgate validate` refuses a policy that
// has any. They do not stop Compile: a list update that lists an excepted
// host must not stop the filter loading its new lists.
func (s *Snapshot) LockedExceptions() []error { return s.lockedExc }

// checkLockedExceptions finds every exception that allows (or warns) a
// host the lists place in a locked category, for a group whose cell there
// is stricter than the exception: a scheduled cell counts as stricter, as
// it blocks outside its window. With no groups an exception is judged for
// every group and for others.
func (s *Snapshot) checkLockedExceptions(log *slog.Logger) {
	for i := range s.exceptions {
		x := &s.exceptions[i]
		if x.verdict >= Block {
			continue
		}
		d := s.Decide(&Query{Host: x.host, Path: x.path})
		locked := d.Categories.And(s.locked)
		if locked.Empty() {
			continue
		}
		groups := x.groups
		if x.anyGrp {
			for g := range s.groups {
				groups.Add(g)
			}
		}
		why := ""
		locked.Each(func(ci int) {
			rw := s.rows[ci]
			if rw == nil {
				rw = s.defRow
			}
			judge := func(g int) {
				if why != "" {
					return
				}
				used := rw
				if (g < 0 || rw.byGroup[g] < 0) && rw.others < 0 {
					used = s.defRow
				}
				cl := used.cellFor(g)
				v := cl.verdict
				if cl.kind != cellFixed {
					v = Block
				}
				if opens(kindException, x.verdict, v, true) {
					return
				}
				who := "others"
				if g >= 0 {
					who = s.groups[g].name
				}
				why = fmt.Sprintf("%s is in locked category %s, where %s get %q (%s): an exception cannot open a locked category",
					x.entry, s.cats[ci].name, who, cl.text, s.cellRule(used, g))
			}
			groups.Each(judge)
			if x.anyGrp {
				judge(-1)
			}
		})
		if why == "" {
			continue
		}
		c := s.cfg
		err := fieldErr(c, c.Exceptions[x.index].Line, fmt.Sprintf("exceptions[%d].hosts[%d]", x.index, x.hostIdx), why)
		s.lockedExc = append(s.lockedExc, err)
		s.warnings = append(s.warnings, err.Error()+": it is never applied")
		log.Warn("a policy exception would open a locked category: it is never applied", "error", err)
	}
}
