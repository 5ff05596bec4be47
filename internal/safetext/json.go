package safetext

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// JSONWriter wraps w for encoding/json output shown on a terminal: the
// encoder escapes C0 controls but writes C1 controls (U+009B starts a
// terminal sequence) and direction overrides raw. They can only occur
// inside JSON strings, where \u009b means the same, so each is rewritten
// that way. Every Write must hold whole runes, as json.Encoder's (one
// encoded value) do.
func JSONWriter(w io.Writer) io.Writer { return jsonWriter{w} }

type jsonWriter struct{ w io.Writer }

func (j jsonWriter) Write(p []byte) (int, error) {
	if clean(string(p), false) {
		return j.w.Write(p)
	}
	out := make([]byte, 0, len(p)+16)
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRune(p[i:])
		if unsafeRune(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, p[i:i+n]...)
		}
		i += n
	}
	if _, err := j.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
