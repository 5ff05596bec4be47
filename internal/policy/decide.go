package policy

import (
	"net/netip"
	"strings"
	"time"

	"schoolgate/internal/policy/lists"
)

// Query is one decision's input. Host should be canonical (see
// NormalizeHost / ParseTarget); Path is the path with its query, or "" when
// unknown (DNS).
type Query struct {
	Host   string
	Path   string
	User   string
	Groups Set
	// Client is the device's address: an unidentified query (no User)
	// also takes the overrides made for that address.
	Client netip.Addr
	At     time.Time
	// Overrides are the live grants, unblocks and sanctions (may be nil).
	Overrides *Overrides
}

// Source says which part of the policy decided.
type Source uint8

const (
	SourceDefault Source = iota
	SourceRule
	SourceException
	SourceOverride
	SourceIllegal
)

func (s Source) String() string {
	return [...]string{"default", "rule", "exception", "override", "illegal"}[s]
}

// Decision is the answer and its explanation. It holds no allocations of
// its own; use the snapshot's methods to render it.
type Decision struct {
	Verdict Verdict // Allow, Warn or Block
	// NeedsPermission is set when a permission cell blocked for want of a
	// grant: staff may grant it.
	NeedsPermission bool
	Illegal         bool
	Categories      Set
	Source          Source
	// Category is the category whose row decided, or -1.
	Category int
	// Cell is the row cell that decided: a group index, or -1 for others.
	Cell int
	// Exception is the index of the deciding exception, or -1.
	Exception int
	// Override is the deciding live override, or nil.
	Override *Override
	// MatchHost and MatchPath are the list entry that placed the target in
	// Category: a suffix of the host, and for urls entries a path prefix.
	MatchHost, MatchPath string
	// Until is when this decision may next change (a schedule boundary, an
	// exception's or override's end); zero when nothing known will change
	// it.
	Until time.Time
	// Schedule is set when a "during" cell decided.
	Schedule bool
	Groups   Set
}

type hit struct {
	off  uint8
	pair uint16
}

// Decide applies the policy to one query. It is pure: the same snapshot,
// query and overrides give the same decision.
func (s *Snapshot) Decide(q *Query) Decision {
	d := Decision{Category: -1, Cell: -1, Exception: -1, Groups: q.Groups}
	host := q.Host

	// 1. Which categories list the target.
	var keys [maxSuffixes]uint64
	var offs [maxSuffixes]uint8
	var n int
	n, canonical := suffixKeys(host, &keys, &offs)
	if !canonical || host == "" || host[len(host)-1] == '.' {
		// Callers should pass canonical hosts; mend one that is not.
		if h, err := lists.NormalizeHost(host); err == nil && h != host {
			host = h
			n, _ = suffixKeys(host, &keys, &offs)
		}
	}
	if lists.IsIP(host) {
		keys[0], offs[0], n = nameKey(host), 0, 1
	}
	first := 0
	if !s.domains.singleLabel && n > 1 {
		first = 1 // no entry is a bare TLD
	}
	var vals [maxSuffixes]uint16
	var found [maxSuffixes]bool
	var hits [maxSuffixes]hit
	nh := 0
	var add, del Set
	if s.domains.lookup(keys[first:n], &vals, &found) > 0 {
		for i := first; i < n; i++ {
			if found[i-first] {
				v := vals[i-first]
				p := &s.pairs[v]
				add, del = add.Or(p.add), del.Or(p.del)
				hits[nh] = hit{offs[i], v}
				nh++
			}
		}
	}
	cats := add.AndNot(del)
	var urlHits []urlRule
	if q.Path != "" && len(s.urls) > 0 {
		urlHits = s.urls[lists.StripWWW(host)]
		for _, u := range urlHits {
			if hasPrefixFold(q.Path, u.path) {
				cats = cats.Or(u.cats)
			}
		}
	}
	d.Categories = cats

	// 2. Illegal comes before everything, exceptions and overrides too.
	if ill := cats.And(s.illegal); !ill.Empty() {
		d.Verdict, d.Illegal, d.Source = Block, true, SourceIllegal
		d.Category = ill.First()
		return d
	}

	// 3. Live overrides of this client: host overrides and suspensions
	// compete with the file's exceptions (most specific wins, block beats
	// allow on a tie); category overrides replace a row's cell below. An
	// allow competes only where it may open every cell of the target (see
	// opens.go); cm holds those cells, filled when first needed.
	m := match{spec: -1, exc: -1}
	var catOv catOverrides
	var lt localTime
	var cm cellMax
	// cont is the most specific click-through the cells refused: it still
	// passes the warning an exception gives.
	var cont *Override
	contSpec := -1
	if q.Overrides.Len() > 0 {
		consider := func(l []liveOverride) {
			for k := range l {
				o := &l[k]
				if !q.At.Before(o.Until) {
					continue
				}
				if o.Category != "" {
					if ci, ok := s.catIndex[o.Category]; ok && cats.Has(ci) {
						catOv.add(ci, o.Override)
						d.tighten(o.Until)
					}
					continue
				}
				spec := scopeAll // a suspension, or an allow-everything
				if o.Target != "" {
					spec = matchEntry(host, q.Path, o.host, o.path)
				}
				if spec < 0 {
					continue
				}
				if o.Verdict < Block {
					if !cm.done {
						s.fillCellMax(&cm, cats, q.Groups, q.At, &lt, &d)
					}
					if !cm.allows(o.Kind, o.Verdict) {
						if o.Kind == kindContinue && spec > contSpec {
							cont, contSpec = o.Override, spec
						}
						continue
					}
				}
				d.tighten(o.Until)
				m.offer(spec, o.Verdict, o.Override, -1)
			}
		}
		if q.User != "" {
			consider(q.Overrides.byUser[q.User])
		} else if len(q.Overrides.byClient) > 0 && q.Client.IsValid() {
			consider(q.Overrides.byClient[q.Client.Unmap()])
		}
		if len(q.Overrides.byGroup) > 0 {
			q.Groups.Each(func(g int) {
				if g < len(s.groups) {
					consider(q.Overrides.byGroup[s.groups[g].name])
				}
			})
		}
	}

	// 4. Exceptions from the policy file.
	if len(s.exceptions) > 0 {
		s.matchExceptions(host, cats, q, &d, &m, &lt, &cm)
	}
	if m.spec >= 0 && m.verdict == Warn && cont != nil {
		// Only an exception warns here: the click-through was for it.
		m.verdict, m.ov = Allow, cont
		d.tighten(cont.Until)
	}
	if m.spec >= 0 {
		d.Verdict = m.verdict
		if m.ov != nil {
			d.Source, d.Override = SourceOverride, m.ov
		} else {
			d.Source, d.Exception = SourceException, m.exc
			x := &s.exceptions[m.exc]
			d.MatchHost, d.MatchPath = x.host, x.path
		}
		if d.Verdict == Permission {
			d.Verdict, d.NeedsPermission = Block, true
		}
		return d
	}

	// 5. The rules table: the most restrictive cell of every category the
	// target is in; no category (or no row) falls to the default row. A
	// category override replaces its cell where it may open it.
	best := Verdict(0)
	firstCat := true
	decide := func(rw *row, ci int) {
		var v Verdict
		var cellIdx int
		var sched bool
		ov := catOv.get(ci)
		v, cellIdx, sched, rw = s.resolve(rw, q.Groups, q.At, &lt, &d)
		if ov != nil {
			if opens(ov.Kind, ov.Verdict, v, ci >= 0 && s.cats[ci].locked) {
				v = ov.Verdict
			} else {
				ov = nil
			}
		}
		if firstCat || v > best {
			best, firstCat = v, false
			d.Category, d.Cell, d.Schedule, d.Override = ci, cellIdx, sched, ov
			switch {
			case ov != nil:
				d.Source, d.Cell = SourceOverride, -1
			case rw == s.defRow:
				d.Source = SourceDefault
			default:
				d.Source = SourceRule
			}
		}
	}
	if cats.Empty() {
		decide(s.defRow, -1)
	} else {
		cats.Each(func(ci int) {
			rw := s.rows[ci]
			if rw == nil {
				rw = s.defRow
			}
			decide(rw, ci)
		})
	}
	d.Verdict = best
	if d.Category >= 0 {
		d.MatchHost, d.MatchPath = s.matchFor(host, q.Path, d.Category, hits[:nh], urlHits)
	}
	if d.Verdict == Permission {
		d.Verdict, d.NeedsPermission = Block, true
	}
	return d
}

func (d *Decision) tighten(t time.Time) {
	if d.Until.IsZero() || t.Before(d.Until) {
		d.Until = t
	}
}

type localTime struct {
	set      bool
	min, sec int
}

// resolve finds the row's cell for the client's groups (first group in
// declaration order the row names, else others) and evaluates it at t.
// It returns the row that answered: the default row when rw names none of
// the groups and has no others cell.
func (s *Snapshot) resolve(rw *row, groups Set, at time.Time, lt *localTime, d *Decision) (Verdict, int, bool, *row) {
	idx, cellGroup := int16(-1), -1
	for w, word := range groups {
		for word != 0 && idx < 0 {
			b := trailingZeros(word)
			g := w*64 + b
			if g < len(rw.byGroup) && rw.byGroup[g] >= 0 {
				idx, cellGroup = rw.byGroup[g], g
			}
			word &^= 1 << uint(b)
		}
		if idx >= 0 {
			break
		}
	}
	if idx < 0 {
		if rw.others < 0 {
			return s.resolve(s.defRow, groups, at, lt, d)
		}
		idx = rw.others
	}
	cl := &rw.cells[idx]
	if cl.kind == cellFixed {
		return cl.verdict, cellGroup, false, rw
	}
	if !lt.set {
		lt.min, lt.sec = minuteOfWeek(at, s.loc)
		lt.set = true
	}
	in := false
	wait := minutesPerWeek
	for _, si := range cl.schedules {
		sc := s.schedules[si]
		if sc.in(lt.min) {
			in = true
		}
		wait = min(wait, sc.next(lt.min))
	}
	d.tighten(at.Add(time.Duration(wait)*time.Minute - time.Duration(lt.sec)*time.Second).Truncate(time.Second))
	if (cl.kind == cellAllowDuring) == in {
		return Allow, cellGroup, true, rw
	}
	return Block, cellGroup, true, rw
}

// scopeAll is the specificity of an override that covers every site: it
// beats any host entry.
const scopeAll = 1 << 20

// match is the best exception or host override found so far.
type match struct {
	spec    int
	verdict Verdict
	ov      *Override
	exc     int
}

func (m *match) offer(spec int, v Verdict, ov *Override, exc int) {
	if spec > m.spec || (spec == m.spec && v > m.verdict) {
		m.spec, m.verdict, m.ov, m.exc = spec, v, ov, exc
	}
}

// catOverrides holds the active category overrides that concern the
// target's categories (a handful at most); block beats allow.
type catOverrides struct {
	n   int
	cat [8]int
	ov  [8]*Override
}

func (c *catOverrides) add(ci int, o *Override) {
	for k := 0; k < c.n; k++ {
		if c.cat[k] == ci {
			cur := c.ov[k]
			if o.Verdict > cur.Verdict || (o.Verdict == cur.Verdict && openRank(o.Kind) > openRank(cur.Kind)) {
				c.ov[k] = o
			}
			return
		}
	}
	if c.n < len(c.cat) {
		c.cat[c.n], c.ov[c.n] = ci, o
		c.n++
	}
}

func (c *catOverrides) get(ci int) *Override {
	for k := 0; k < c.n; k++ {
		if c.cat[k] == ci {
			return c.ov[k]
		}
	}
	return nil
}

// matchExceptions offers every exception that covers this client and
// target, and may open its cells.
func (s *Snapshot) matchExceptions(host string, cats Set, q *Query, d *Decision, m *match, lt *localTime, cm *cellMax) {
	consider := func(idx []int) {
		for _, i := range idx {
			x := &s.exceptions[i]
			if !x.anyGrp && x.groups.And(q.Groups).Empty() {
				continue
			}
			if !x.until.IsZero() && !q.At.Before(x.until) {
				continue
			}
			spec := matchEntry(host, q.Path, x.host, x.path)
			if spec < 0 {
				continue
			}
			if x.verdict < Block {
				if !cm.done {
					s.fillCellMax(cm, cats, q.Groups, q.At, lt, d)
				}
				if !cm.allows(kindException, x.verdict) {
					continue
				}
			}
			if !x.until.IsZero() {
				d.tighten(x.until)
			}
			m.offer(spec, x.verdict, nil, i)
		}
	}
	for h := host; ; {
		if idx, ok := s.excDomain[h]; ok {
			consider(idx)
		}
		dot := strings.IndexByte(h, '.')
		if dot < 0 {
			break
		}
		h = h[dot+1:]
	}
	if q.Path != "" && len(s.excURL) > 0 {
		if idx, ok := s.excURL[lists.StripWWW(host)]; ok {
			consider(idx)
		}
	}
}

// matchEntry reports how specific entry (eh, ep) is for the target, as the
// entry's length, or -1 when it does not match.
func matchEntry(host, path, eh, ep string) int {
	if ep == "" {
		if host == eh || (len(host) > len(eh) && host[len(host)-len(eh)-1] == '.' && host[len(host)-len(eh):] == eh) {
			return len(eh)
		}
		return -1
	}
	if lists.StripWWW(host) != eh || !hasPrefixFold(path, ep) {
		return -1
	}
	return len(eh) + len(ep)
}

// matchFor finds the most specific entry that put the host in category ci.
func (s *Snapshot) matchFor(host, path string, ci int, hits []hit, urlHits []urlRule) (string, string) {
	for _, u := range urlHits {
		if u.cats.Has(ci) && hasPrefixFold(path, u.path) {
			return lists.StripWWW(host), u.path
		}
	}
	for i := len(hits) - 1; i >= 0; i-- {
		if s.pairs[hits[i].pair].add.Has(ci) {
			return host[hits[i].off:], ""
		}
	}
	return "", ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
