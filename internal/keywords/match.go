package keywords

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// scratch is one match's working memory, pooled so that a match
// allocates nothing but its answer.
type scratch struct {
	w     words
	syms  [][]uint32 // the symbols each word of the text may stand for
	found []found    // phrases and exclusions, in order of from
	hits  []found    // the phrases no exclusion covers
	reach []int32    // per list, the furthest word an exclusion seen so far covers
	lists []bool
	pre   []uint64
	pow   []uint64
}

type found struct {
	phrase   int32
	exclude  bool
	from, to int32 // the words of the text it covers
}

// maxPooled bounds the working memory kept for the next match: one
// huge text is matched, not remembered.
const maxPooled = 64 << 10

func (s *Set) get() *scratch { return s.pool.Get().(*scratch) }

func (s *Set) put(sc *scratch) {
	if cap(sc.w.buf) <= maxPooled && cap(sc.found) <= maxPooled/8 && cap(sc.hits) <= maxPooled/8 {
		s.pool.Put(sc)
	}
}

// MatchLists returns the names of the lists text matches, sorted and
// unique; nil when none.
func (s *Set) MatchLists(text string) []string {
	sc := s.get()
	defer s.put(sc)
	s.scan(sc, text)
	if len(sc.hits) == 0 {
		return nil
	}
	if cap(sc.lists) < len(s.lists) {
		sc.lists = make([]bool, len(s.lists))
	}
	sc.lists = sc.lists[:len(s.lists)]
	clear(sc.lists)
	n := 0
	for _, f := range sc.hits {
		if l := s.phrases[f.phrase].list; !sc.lists[l] {
			sc.lists[l] = true
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for l, hit := range sc.lists {
		if hit {
			out = append(out, s.lists[l])
		}
	}
	return out
}

// Match returns every phrase text matches (each once), sorted by list
// and phrase, for explanations; nil when none.
func (s *Set) Match(text string) []Hit {
	sc := s.get()
	defer s.put(sc)
	s.scan(sc, text)
	var out []Hit
	seen := map[int32]bool{}
	for _, f := range sc.hits {
		if seen[f.phrase] {
			continue
		}
		seen[f.phrase] = true
		p := s.phrases[f.phrase]
		out = append(out, Hit{List: s.lists[p.list], Phrase: p.text})
	}
	sortHits(out)
	return out
}

// keepHits puts in sc.hits the phrases of sc.found that no exclusion of
// their list covers. sc.found is in order of from (scan walks from each
// word in turn), so one pointer over it brings in every exclusion that
// starts at or before a hit, and a hit is covered when one of them
// reaches its end: linear, however many hits and exclusions a long text
// holds.
func (s *Set) keepHits(sc *scratch) {
	sc.hits = sc.hits[:0]
	if cap(sc.reach) < len(s.lists) {
		sc.reach = make([]int32, len(s.lists))
	}
	sc.reach = sc.reach[:len(s.lists)]
	clear(sc.reach)
	x := 0
	for _, f := range sc.found {
		if f.exclude {
			continue
		}
		for ; x < len(sc.found) && sc.found[x].from <= f.from; x++ {
			if e := sc.found[x]; e.exclude {
				l := s.phrases[e.phrase].list
				sc.reach[l] = max(sc.reach[l], e.to)
			}
		}
		if sc.reach[s.phrases[f.phrase].list] < f.to {
			sc.hits = append(sc.hits, f)
		}
	}
}

// scan finds every phrase and exclusion in text, into sc.found.
func (s *Set) scan(sc *scratch, text string) {
	sc.w.reset()
	sc.found, sc.hits = sc.found[:0], sc.hits[:0]
	sc.w.read(text)
	n := len(sc.w.toks)
	for len(sc.syms) < n {
		sc.syms = append(sc.syms, nil)
	}
	some := false
	for i := 0; i < n; i++ {
		sc.syms[i] = s.wordSymbols(sc, i, sc.syms[i][:0])
		some = some || len(sc.syms[i]) > 0
	}
	if !some {
		return
	}
	for i := 0; i < n; i++ {
		s.walk(sc, 0, i, i, n)
	}
	s.keepHits(sc)
}

// walk follows the trie from node over the words from j on, recording
// every phrase that ends.
func (s *Set) walk(sc *scratch, node uint32, from, j, n int) {
	if j == n || j-from == s.maxWords {
		return
	}
	for _, sym := range sc.syms[j] {
		child, ok := s.edges[uint64(node)<<32|uint64(sym)]
		if !ok {
			continue
		}
		for _, e := range s.ends[child] {
			sc.found = append(sc.found, found{phrase: e.phrase, exclude: e.exclude, from: int32(from), to: int32(j + 1)})
		}
		s.walk(sc, child, from, j+1, n)
	}
}

// wordSymbols appends the symbols word i of the text may stand for: the
// phrase words it spells (same skeleton, no run shorter) and the fuzzy
// words within one edit of it.
func (s *Set) wordSymbols(sc *scratch, i int, out []uint32) []uint32 {
	sk, runs := sc.w.skel(i), sc.w.runsOf(i)
	for _, id := range s.forms[string(sk)] {
		if longerRuns(runs, s.words[id]) {
			out = append(out, id)
		}
	}
	if utf8.RuneCount(sk) < FuzzyMinLetters-2 {
		return out
	}
	s.fuzzy.near(sk, &sc.pre, &sc.pow, func(id uint32) {
		sym := id | fuzzyBit
		for _, o := range out {
			if o == sym {
				return
			}
		}
		if withinOne(string(sk), s.fuzzy.words[id]) {
			out = append(out, sym)
		}
	})
	return out
}

// longerRuns: no run of the text's word is shorter than the phrase's
// ("sooo" spells "so"; "as" does not spell "ass").
func longerRuns(text, phrase []uint8) bool {
	for k := range phrase {
		if text[k] < phrase[k] {
			return false
		}
	}
	return true
}

func sortHits(h []Hit) {
	slices.SortFunc(h, func(a, b Hit) int {
		if c := strings.Compare(a.List, b.List); c != 0 {
			return c
		}
		return strings.Compare(a.Phrase, b.Phrase)
	})
}
