package keywords

import "unicode/utf8"

var decodeRune = utf8.DecodeRune

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
