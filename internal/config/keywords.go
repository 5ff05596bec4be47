package config

import (
	"fmt"
	"regexp"
	"strings"
)

// KeywordList is one safeguarding keyword list (`keywords:`): its name
// is its theme (self-harm, bullying, ...), its sources one phrase a line.
type KeywordList struct {
	Title   string   `yaml:"title"`
	Sources []Source `yaml:"sources"`
	// Fuzzy: every phrase of the list also matches with one edit in its
	// words of six letters or more (a single phrase asks with "phrase~").
	Fuzzy bool `yaml:"fuzzy"`
	Line  int  `yaml:"-"`
}

var keywordListName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// validateKeywords checks the keywords: section's shape (the files are
// read by keywords.Load); file names the policy file in errors.
func (c *Config) validateKeywords(file string) error {
	for _, e := range c.Keywords {
		at := func(line int, field, format string, args ...any) error {
			return &Error{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
		}
		field := "keywords." + e.Name
		if !keywordListName.MatchString(e.Name) {
			return at(e.Line, field, "a list's name is its theme: lower-case letters, digits and hyphens (e.g. self-harm)")
		}
		if len(e.Value.Sources) == 0 {
			return at(e.Line, field+".sources", "no sources given (e.g. sources: [{path: keywords/%s.txt}])", e.Name)
		}
		for j, src := range e.Value.Sources {
			f := fmt.Sprintf("%s.sources[%d]", field, j)
			switch {
			case (src.Path == "") == (src.URL == ""):
				return at(src.Line, f, "give exactly one of path or url")
			case src.URL != "" && !strings.HasPrefix(src.URL, "http://") && !strings.HasPrefix(src.URL, "https://"):
				return at(src.Line, f+".url", "must be an http:// or https:// address")
			case src.Format != "" && src.Format != "keywords":
				return at(src.Line, f+".format", "keyword lists have one format (one phrase a line): leave format out")
			}
		}
	}
	return nil
}
