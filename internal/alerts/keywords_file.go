package alerts

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"unicode"

	"schoolgate/internal/config"
)

// FileKeywords is a minimal KeywordMatcher over the policy's keyword
// lists (keywords:, one phrase a line, # comments, -phrase excludes):
// whole words and phrases after case folding and with punctuation read
// as spaces, no misspellings. It stands in until the keyword engine
// (internal/keywords) is wired in its place.
type FileKeywords struct {
	lists []fileList
}

type fileList struct {
	name             string
	phrases, exclude []string // normalised, space-padded
}

var _ KeywordMatcher = (*FileKeywords)(nil)

// LoadFileKeywords reads every keyword list of c (local paths only).
func LoadFileKeywords(c *config.Config) (*FileKeywords, error) {
	k := &FileKeywords{}
	for _, e := range c.Keywords {
		l := fileList{name: e.Name}
		for _, src := range e.Value.Sources {
			if src.Path == "" {
				return nil, fmt.Errorf("keywords.%s: line %d: only local paths are read here", e.Name, src.Line)
			}
			if err := l.read(c.Path(src.Path)); err != nil {
				return nil, fmt.Errorf("keywords.%s: %w", e.Name, err)
			}
		}
		k.lists = append(k.lists, l)
	}
	return k, nil
}

func (l *fileList) read(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if p, ok := strings.CutPrefix(line, "-"); ok {
			if n := normalise(p); n != "  " {
				l.exclude = append(l.exclude, n)
			}
			continue
		}
		if n := normalise(line); n != "  " {
			l.phrases = append(l.phrases, n)
		}
	}
	return sc.Err()
}

// normalise folds case and reads every run of non-letters and non-digits
// as one space, padded with a space at each end.
func normalise(s string) string {
	var b strings.Builder
	b.WriteByte(' ')
	space := true
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	if !space {
		b.WriteByte(' ')
	}
	if b.Len() == 1 {
		b.WriteByte(' ')
	}
	return b.String()
}

// MatchLists names the lists with a phrase in text and none of their
// exclusions.
func (k *FileKeywords) MatchLists(text string) []string {
	t := normalise(text)
	var out []string
	for _, l := range k.lists {
		excluded := false
		for _, x := range l.exclude {
			if strings.Contains(t, x) {
				excluded = true
				break
			}
		}
		if excluded {
			continue
		}
		for _, p := range l.phrases {
			if strings.Contains(t, p) {
				out = append(out, l.name)
				break
			}
		}
	}
	return out
}
