package policy

// Filtered reports whether clients in groups are filtered at all: whether
// a category with entries or the default row can resolve, at some time, to
// anything but allow for them, or a policy exception blocks or warns for
// them. An illegal category with entries filters everyone. The DNS resolver uses it for the circumvention defences (the
// Firefox canary, Private Relay) and for capping answer TTLs.
func (s *Snapshot) Filtered(groups Set) bool {
	for ci := range s.cats {
		if s.cats[ci].entries == 0 {
			continue
		}
		if s.cats[ci].illegal {
			return true
		}
		rw := s.rows[ci]
		if rw == nil {
			rw = s.defRow
		}
		if !s.alwaysAllows(rw, groups) {
			return true
		}
	}
	for i := range s.exceptions {
		x := &s.exceptions[i]
		if x.verdict != Allow && (x.anyGrp || !x.groups.And(groups).Empty()) {
			return true
		}
	}
	return s.defRow != nil && !s.alwaysAllows(s.defRow, groups)
}

// alwaysAllows reports whether the row's cell for groups (found as
// resolve finds it) is a plain allow.
func (s *Snapshot) alwaysAllows(rw *row, groups Set) bool {
	idx := int16(-1)
	groups.Each(func(g int) {
		if idx < 0 && g < len(rw.byGroup) && rw.byGroup[g] >= 0 {
			idx = rw.byGroup[g]
		}
	})
	if idx < 0 {
		if rw.others < 0 {
			if rw == s.defRow || s.defRow == nil {
				return false
			}
			return s.alwaysAllows(s.defRow, groups)
		}
		idx = rw.others
	}
	cl := &rw.cells[idx]
	return cl.kind == cellFixed && cl.verdict == Allow
}
