// Package safetext makes text that users control (a pupil's reason, a
// display name, a URL) safe for where it is shown: a terminal, where
// control characters could clear the screen, rewrite earlier lines or set
// the clipboard (OSC 52); and a spreadsheet, where a CSV cell starting with
// = + - @ is run as a formula.
package safetext

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Terminal returns s with every control character escaped in Go's
// notation: C0 controls and DEL as \x1b, \n, \t ..., C1 controls (U+0080
// to U+009F, one of which, U+009B, starts a terminal sequence like ESC [)
// as \u009b, bidirectional overrides and isolates (which reorder what is
// shown) as \u202e, and invalid UTF-8 bytes as \xff. A backslash is
// doubled, so an escape in the output always came from a control in the
// input. Printable text, non-ASCII letters included, is unchanged.
func Terminal(s string) string {
	if clean(s, true) {
		return s
	}
	return escape(s, true)
}

// CSVCell returns s safe for a CSV cell that a spreadsheet will open:
// controls escaped as in Terminal, except tab and line breaks (the csv
// package quotes them) and backslashes (left alone); and a cell that
// starts with = + - @, a tab or a carriage return prefixed with ' so that
// it is shown as text, not run as a formula (OWASP's advice). The csv
// package still does the quoting.
func CSVCell(s string) string {
	if !clean(s, false) {
		s = escape(s, false)
	}
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// escape writes s with its controls escaped; for a terminal, tab, line
// breaks and backslashes are escaped too.
func escape(s string, terminal bool) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !terminal && (r == '\\' || r == '\n' || r == '\r' || r == '\t'):
			b.WriteRune(r)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// clean reports whether escape would leave s unchanged.
func clean(s string, terminal bool) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			ascii = false
		case c == '\\' || c == '\n' || c == '\r' || c == '\t':
			if terminal {
				return false
			}
		case c < 0x20 || c == 0x7f:
			return false
		}
	}
	if ascii {
		return true
	}
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unsafeRune(r) {
			return false
		}
	}
	return true
}

// unsafeRune: the C1 controls and the Unicode formatting characters that
// change how a line is drawn (bidirectional embeddings, overrides,
// isolates; the line and paragraph separators).
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
		return true
	}
	return false
}
