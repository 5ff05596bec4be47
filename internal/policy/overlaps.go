package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"schoolgate/internal/policy/lists"
)

// Overlaps calls fn for every list entry that two or more categories list
// (a domain entry as its name, a urls entry as host/path) with those
// categories, until fn returns false. The domain table keeps fingerprints,
// not names, so Overlaps finds the fingerprints listed more than once and
// reads again only the sources that hold them: it is for validate and the
// console, never the hot path. Entries come in no particular order.
func (s *Snapshot) Overlaps(fn func(entry string, cats Set) bool) error {
	multiPair := make([]bool, len(s.pairs))
	var read Set // the categories whose sources are read again
	for i, p := range s.pairs {
		if cats := p.add.AndNot(p.del); cats.Count() > 1 {
			multiPair[i] = true
			read.Add(cats.First()) // every entry of the pair is in its first category's lists
		}
	}
	pending := map[uint64]uint16{}
	for bi := range s.domains.b {
		b := &s.domains.b[bi]
		for j, k := range b.keys {
			if k != 0 && multiPair[b.vals[j]] {
				pending[k] = b.vals[j]
			}
		}
	}
	stop := false
	for _, src := range s.sources {
		if stop || len(pending) == 0 {
			break
		}
		ci, ok := s.catIndex[src.Category]
		if !ok || !read.Has(ci) || src.Missing || src.File == "" {
			continue
		}
		_, err := lists.ParseFile(src.File, src.Format, func(e lists.Entry) {
			if stop || e.Kind == lists.URL {
				return
			}
			k := nameKey(e.Host)
			v, ok := pending[k]
			if !ok {
				return
			}
			delete(pending, k)
			p := s.pairs[v]
			stop = !fn(strings.Clone(e.Host), p.add.AndNot(p.del))
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("overlaps: %w", err)
		}
	}
	for host, rules := range s.urls {
		for _, r := range rules {
			if stop {
				return nil
			}
			if r.cats.Count() > 1 {
				stop = !fn(host+r.path, r.cats)
			}
		}
	}
	return nil
}

// Overlap is an entry that several categories list, whose rows answer some
// group differently: "most restrictive wins" decides between them.
type Overlap struct {
	Entry      string         `json:"entry"`
	Categories []string       `json:"categories"`
	Groups     []OverlapGroup `json:"groups"` // only the groups whose cells differ
}

// OverlapGroup is what one group's cells say for an overlapping entry, and
// the row that wins.
type OverlapGroup struct {
	Group string        `json:"group"`
	Cells []OverlapCell `json:"cells"`
	Wins  string        `json:"wins"` // the winning cell's rule: rules.social-media.others
}

// OverlapCell is one category's cell for a group.
type OverlapCell struct {
	Category string `json:"category"`
	Cell     string `json:"cell"` // as written: block, allow during social-time
}

// OverlapReport lists, sorted by entry, the entries of several categories
// whose cells differ for at least one group, each with every such group's
// cells and the winning row; total counts them all, the list holds at most
// limit (all when limit <= 0). A scheduled cell counts at its strictest
// (the block it gives outside, or inside, its window), and a tie goes to a
// fixed cell, then to the category declared first, as in Decide.
func (s *Snapshot) OverlapReport(limit int) (total int, list []Overlap, err error) {
	var all []Overlap
	err = s.Overlaps(func(entry string, cats Set) bool {
		if o, ok := s.overlap(entry, cats); ok {
			all = append(all, o)
		}
		return true
	})
	if err != nil {
		return 0, nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Entry < all[j].Entry })
	total = len(all)
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	return total, all, nil
}

func (s *Snapshot) overlap(entry string, cats Set) (Overlap, bool) {
	o := Overlap{Entry: entry}
	cats.Each(func(ci int) { o.Categories = append(o.Categories, s.cats[ci].name) })
	for g := range s.groups {
		og := OverlapGroup{Group: s.groups[g].name}
		differ := false
		best, bestFixed := Verdict(0), false
		cats.Each(func(ci int) {
			rw := s.rows[ci]
			if rw == nil {
				rw = s.defRow
			}
			if rw.byGroup[g] < 0 && rw.others < 0 {
				rw = s.defRow
			}
			cl := rw.cellFor(g)
			if len(og.Cells) > 0 && og.Cells[0].Cell != cl.text {
				differ = true
			}
			og.Cells = append(og.Cells, OverlapCell{Category: s.cats[ci].name, Cell: cl.text})
			v, fixed := cl.verdict, cl.kind == cellFixed
			if !fixed {
				v = Block
			}
			if og.Wins == "" || v > best || (v == best && fixed && !bestFixed) {
				best, bestFixed, og.Wins = v, fixed, s.cellRule(rw, g)
			}
		})
		if differ {
			o.Groups = append(o.Groups, og)
		}
	}
	return o, len(o.Groups) > 0
}
