package keywords

import "unicode/utf8"

// deletions is w and every string made by dropping one letter of it:
// two words within one edit share one of these (a changed letter: drop
// it from both; an added or dropped one: drop it from the longer; two
// neighbours swapped: drop either from both).
func deletions(w string) []string {
	out := []string{w}
	for i := 0; i < len(w); {
		_, size := utf8.DecodeRuneInString(w[i:])
		d := w[:i] + w[i+size:]
		dup := false
		for _, o := range out {
			if o == d {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, d)
		}
		i += size
	}
	return out
}

// withinOne reports whether a and b are at most one edit apart: one
// letter added, dropped or changed, or two neighbours swapped.
func withinOne(a, b string) bool {
	if a == b {
		return true
	}
	if !ascii(a) || !ascii(b) {
		return withinOneRunes([]rune(a), []rune(b))
	}
	return withinOneRunes2(len(a), len(b), func(i int) rune { return rune(a[i]) }, func(i int) rune { return rune(b[i]) })
}

func withinOneRunes(a, b []rune) bool {
	return withinOneRunes2(len(a), len(b), func(i int) rune { return a[i] }, func(i int) rune { return b[i] })
}

func withinOneRunes2(na, nb int, a, b func(int) rune) bool {
	if na < nb {
		na, nb, a, b = nb, na, b, a
	}
	if na-nb > 1 {
		return false
	}
	i := 0
	for i < nb && a(i) == b(i) {
		i++
	}
	if i == nb {
		return true // equal, or a has one letter more at the end
	}
	rest := func(ai, bi int) bool {
		for ai < na && bi < nb {
			if a(ai) != b(bi) {
				return false
			}
			ai, bi = ai+1, bi+1
		}
		return ai == na && bi == nb
	}
	if na > nb {
		return rest(i+1, i) // one letter dropped from b
	}
	if rest(i+1, i+1) {
		return true // one letter changed
	}
	// two neighbours swapped
	return i+1 < na && a(i) == b(i+1) && a(i+1) == b(i) && rest(i+2, i+2)
}

// fuzzyIndex finds the fuzzy words within one edit of a word without
// scanning them: every deletion neighbour of every fuzzy word is filed
// under its hash, and a bit filter in front answers most lookups of a
// word that is near none without touching the map.
type fuzzyIndex struct {
	words  []string
	ids    map[string]uint32
	byHash map[uint64][]uint32
	bits   []uint64
	maxLen int // bytes of the longest fuzzy word
}

const hashBase = 0x100000001b3

func hashBytes(b []byte) uint64 {
	var h uint64
	for _, c := range b {
		h = h*hashBase + uint64(c) + 1
	}
	return h
}

// add files w (once) and returns its index.
func (x *fuzzyIndex) add(w string) uint32 {
	if id, ok := x.ids[w]; ok {
		return id
	}
	if x.byHash == nil {
		x.ids, x.byHash = map[string]uint32{}, map[uint64][]uint32{}
	}
	id := uint32(len(x.words))
	x.ids[w] = id
	x.words = append(x.words, w)
	x.maxLen = max(x.maxLen, len(w))
	for _, d := range deletions(w) {
		h := hashBytes([]byte(d))
		if !slicesContains(x.byHash[h], id) {
			x.byHash[h] = append(x.byHash[h], id)
		}
	}
	return id
}

// seal sizes the bit filter once every word is in (16 bits a key).
func (x *fuzzyIndex) seal() {
	n := 64
	for n < 16*len(x.byHash) {
		n *= 2
	}
	x.bits = make([]uint64, n/64)
	for h := range x.byHash {
		x.setBit(h)
	}
}

func (x *fuzzyIndex) bit(h uint64) (int, uint64) {
	i := (h ^ h>>29) & uint64(len(x.bits)*64-1)
	return int(i / 64), 1 << (i % 64)
}

func (x *fuzzyIndex) setBit(h uint64) {
	i, m := x.bit(h)
	x.bits[i] |= m
}

func (x *fuzzyIndex) maybe(h uint64) bool {
	i, m := x.bit(h)
	return x.bits[i]&m != 0
}

// near calls fn with each fuzzy word that may be within one edit of w
// (perhaps more than once; fn checks). pre and pow are scratch.
func (x *fuzzyIndex) near(w []byte, pre, pow *[]uint64, fn func(id uint32)) {
	if len(x.words) == 0 || len(w) > x.maxLen+utf8.UTFMax {
		return
	}
	n := len(w)
	// pre[k] is the hash of w[:k], pow[k] is hashBase^k.
	*pre, *pow = (*pre)[:0], (*pow)[:0]
	var h, p uint64 = 0, 1
	for k := 0; k <= n; k++ {
		*pre, *pow = append(*pre, h), append(*pow, p)
		if k < n {
			h = h*hashBase + uint64(w[k]) + 1
			p *= hashBase
		}
	}
	whole := (*pre)[n]
	try := func(h uint64) {
		if !x.maybe(h) {
			return
		}
		for _, id := range x.byHash[h] {
			fn(id)
		}
	}
	try(whole)
	for i := 0; i < n; {
		_, size := utf8.DecodeRune(w[i:])
		// The hash of w without w[i:i+size]: its prefix, shifted past
		// the rest, plus the rest.
		rest := whole - (*pre)[i+size]*(*pow)[n-i-size]
		try((*pre)[i]*(*pow)[n-i-size] + rest)
		i += size
	}
}

func slicesContains(s []uint32, v uint32) bool {
	for _, o := range s {
		if o == v {
			return true
		}
	}
	return false
}
