package listsync

import (
	"bytes"
	"errors"
	"io"
	"os"

	"schoolgate/internal/config"
	"schoolgate/internal/keywords"
	"schoolgate/internal/policy"
	"schoolgate/internal/policy/lists"
)

// keywordFormat marks a keyword list's url: source among the downloads:
// one phrase a line (internal/keywords), counted in phrases.
const keywordFormat = "keywords"

// keywordSources are the url: sources of the policy's keyword lists,
// downloaded into the same cache as the category lists.
func keywordSources(c *config.Config, cacheDir string) []Result {
	var out []Result
	for _, kw := range c.Keywords {
		for _, s := range kw.Value.Sources {
			if s.URL != "" {
				out = append(out, Result{Category: "keywords." + kw.Name, URL: s.URL, File: policy.CachePath(cacheDir, s.URL), format: keywordFormat})
			}
		}
	}
	return out
}

// countList reads a download (or a copy) in format and counts its
// entries, as the shrink and empty checks need.
func countList(body []byte, name, format string) (lists.Stats, error) {
	if format != keywordFormat {
		return lists.Parse(bytes.NewReader(body), name, format, func(lists.Entry) {})
	}
	var l keywords.List
	err := keywords.Read(bytes.NewReader(body), name, &l)
	st := lists.Stats{File: name, Entries: len(l.Phrases) + len(l.Exclusions)}
	if errors.Is(err, keywords.ErrBadLine) {
		var joined interface{ Unwrap() []error }
		if errors.As(err, &joined) {
			for _, e := range joined.Unwrap() {
				var le *keywords.LineError
				if errors.As(e, &le) {
					st.Skipped++
					if len(st.Examples) < lists.MaxSkippedKept {
						st.Examples = append(st.Examples, lists.Skipped{File: name, Line: le.Line, Why: le.Msg})
					}
				}
			}
		}
		err = nil
	}
	return st, err
}

func countFile(path, format string) (lists.Stats, error) {
	if format != keywordFormat {
		return lists.ParseFile(path, format, func(lists.Entry) {})
	}
	f, err := os.Open(path)
	if err != nil {
		return lists.Stats{File: path}, err
	}
	defer f.Close()
	body, err := io.ReadAll(f)
	if err != nil {
		return lists.Stats{File: path}, err
	}
	return countList(body, path, format)
}
