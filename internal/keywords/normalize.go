package keywords

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// A text is read as a list of words. Each word is kept as its skeleton
// (lower-case, accents stripped, common character swaps undone, every run
// of one letter written once) and the length of each run, so that
// "sooooo" and "so" share the skeleton "so" while "as" (runs 1,1) still
// differs from "ass" (runs 1,2): a word in the text matches a word of a
// phrase when the skeletons are equal and no run of the text is shorter
// than the phrase's.

// token is one word of a normalised text: buf[start:end] is its skeleton
// and runs[start:end] the length of the run each byte belongs to (every
// byte of a multi-byte letter carries the same run).
type token struct {
	start, end int32
}

// words is a normalised text: the skeletons of its words in one buffer.
type words struct {
	buf  []byte
	runs []uint8
	toks []token
	raw  []rune // the word being read, before its character swaps
}

func (w *words) reset() {
	w.buf, w.runs, w.toks, w.raw = w.buf[:0], w.runs[:0], w.toks[:0], w.raw[:0]
}

func (w *words) skel(i int) []byte { return w.buf[w.toks[i].start:w.toks[i].end] }

func (w *words) runsOf(i int) []uint8 { return w.runs[w.toks[i].start:w.toks[i].end] }

// leet undoes the character swaps read inside a word that has a letter:
// "su1c1de", "k1ll", "h@te", "$lut", "sh!t".
func leet(r rune) rune {
	switch r {
	case '0':
		return 'o'
	case '1', '!':
		return 'i'
	case '3':
		return 'e'
	case '4', '@':
		return 'a'
	case '5', '$':
		return 's'
	case '7':
		return 't'
	case '8':
		return 'b'
	}
	return r
}

// apostrophe is dropped rather than read as a separator: "don't" is
// "dont", "assassin's" is "assassins".
func apostrophe(r rune) bool {
	return r == '\'' || r == '\u2019' || r == '\u2018' || r == '\u02bc' || r == '`'
}

func wordRune(r rune) bool {
	return r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9') ||
		r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// swapSymbol reports whether r, a symbol that stands for a letter, is
// read as one here: '!' only between two word characters ("k!ll", not
// "help!"), '@' after one ("h@te", "st@b"), '$' beside one ("$hit", "a$$").
func swapSymbol(r rune, inWord bool, next rune) bool {
	switch r {
	case '!':
		return inWord && wordRune(next)
	case '@':
		return inWord
	case '$':
		return inWord || wordRune(next)
	}
	return false
}

// read appends the words of text to w.
func (w *words) read(text string) {
	if !ascii(text) {
		text = norm.NFKD.String(text)
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if r >= utf8.RuneSelf {
			if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r) {
				continue // an accent (after NFKD), or an invisible character put inside a word (a zero-width space, a soft hyphen)
			}
			r = unicode.ToLower(r)
		} else if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		if apostrophe(r) {
			continue
		}
		inWord := len(w.raw) > 0
		if wordRune(r) {
			w.raw = append(w.raw, r)
			continue
		}
		if r == '!' || r == '@' || r == '$' {
			next, _ := utf8.DecodeRuneInString(text[i:])
			if next < utf8.RuneSelf && 'A' <= next && next <= 'Z' {
				next += 'a' - 'A'
			}
			if swapSymbol(r, inWord, next) {
				w.raw = append(w.raw, r)
				continue
			}
		}
		w.endWord()
	}
	w.endWord()
	w.joinLetters()
}

// endWord turns the word read so far into a token.
func (w *words) endWord() {
	if len(w.raw) == 0 {
		return
	}
	letter := false
	for _, r := range w.raw {
		if r > '9' && r != '@' && r != '$' && r != '!' {
			letter = true
			break
		}
	}
	start := int32(len(w.buf))
	for _, r := range w.raw {
		if letter {
			r = leet(r)
		} else if r == '@' || r == '$' || r == '!' {
			continue
		}
		w.appendRune(start, r, 1)
	}
	if end := int32(len(w.buf)); end > start {
		w.toks = append(w.toks, token{start, end})
	}
	w.raw = w.raw[:0]
}

// appendRune adds r (n times) to the skeleton that begins at start,
// merging it into the last run when it repeats that run's letter.
func (w *words) appendRune(start int32, r rune, n int) {
	if len(w.buf) > int(start) {
		last, size := utf8.DecodeLastRune(w.buf[start:])
		if last == r {
			run := min(int(w.runs[len(w.runs)-1])+n, 255)
			for k := len(w.runs) - size; k < len(w.runs); k++ {
				w.runs[k] = uint8(run)
			}
			return
		}
	}
	w.buf = utf8.AppendRune(w.buf, r)
	for len(w.runs) < len(w.buf) {
		w.runs = append(w.runs, uint8(min(n, 255)))
	}
}

// joinLetters makes one word of three or more single letters in a row:
// "s e x", "k.i.l.l" and "s-u-i-c-i-d-e" are words spelt out to slip
// past a filter.
func (w *words) joinLetters() {
	out := w.toks[:0]
	for i := 0; i < len(w.toks); {
		j := i
		for j < len(w.toks) && single(w.skel(j)) {
			j++
		}
		if j-i < 3 {
			if j == i {
				j = i + 1
			}
			out = append(out, w.toks[i:j]...)
			i = j
			continue
		}
		start := int32(len(w.buf))
		for k := i; k < j; k++ {
			sk, runs := w.skel(k), w.runsOf(k)
			r, _ := utf8.DecodeRune(sk)
			w.appendRune(start, r, int(runs[0]))
		}
		out = append(out, token{start, int32(len(w.buf))})
		i = j
	}
	w.toks = out
}

func single(b []byte) bool {
	_, size := utf8.DecodeRune(b)
	return size == len(b)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// joined is the skeleton and runs of words i..j-1 written as one
// ("self harm" as "selfharm"), appended at the end of w.buf.
func (w *words) joined(i, j int) ([]byte, []uint8) {
	start := int32(len(w.buf))
	for k := i; k < j; k++ {
		sk, runs := w.skel(k), w.runsOf(k)
		for p := 0; p < len(sk); {
			r, size := utf8.DecodeRune(sk[p:])
			w.appendRune(start, r, int(runs[p]))
			p += size
		}
	}
	return w.buf[start:], w.runs[start:]
}
