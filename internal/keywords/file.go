package keywords

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// ErrBadLine is wrapped by the error about each line of a list file that
// cannot be read; the file's other lines still load.
var ErrBadLine = errors.New("bad line")

// MaxLineBytes bounds one line of a list file.
const MaxLineBytes = 512

// LineError is one bad line of a list file.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Unwrap makes every LineError an ErrBadLine.
func (e *LineError) Unwrap() error { return ErrBadLine }

// ReadFile reads a keyword list file: one phrase a line, "#" comments
// and blank lines skipped, "-phrase" an exclusion, "phrase~" a phrase
// matched within one edit. Bad lines are skipped and returned together
// as one error (errors.Is(err, ErrBadLine)) beside every good line; an
// error opening or reading the file returns nothing else.
func ReadFile(path string, into *List) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return Read(f, path, into)
}

// Read is ReadFile over r; name is the file named in errors.
func Read(r io.Reader, name string, into *List) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	var bad []error
	var w words
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fail := func(format string, args ...any) {
			bad = append(bad, &LineError{File: name, Line: n, Msg: fmt.Sprintf(format, args...)})
		}
		switch {
		case len(line) > MaxLineBytes:
			fail("longer than %d bytes", MaxLineBytes)
			continue
		case !utf8.ValidString(line):
			fail("not UTF-8 text")
			continue
		}
		body, exclude := strings.CutPrefix(line, "-")
		body = strings.TrimSpace(body)
		if exclude && strings.HasSuffix(body, "~") {
			fail("an exclusion cannot end in ~ (exclusions match exactly)")
			continue
		}
		w.reset()
		w.read(strings.TrimSuffix(body, "~"))
		switch {
		case len(w.toks) == 0:
			fail("%q has no words to match", line)
			continue
		case len(w.toks) > MaxWords:
			fail("%q has more than %d words", line, MaxWords)
			continue
		}
		if exclude {
			into.Exclusions = append(into.Exclusions, body)
		} else {
			into.Phrases = append(into.Phrases, body)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return errors.Join(bad...)
}
