package config

import (
	"errors"
	"strings"
	"testing"
)

// TestKeywordsErrors: a bad keywords: section is refused naming the
// file, line and field, as categories are.
func TestKeywordsErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"bad name", "keywords:\n  Self_Harm: {sources: [{path: k.txt}]}\n",
			"policy.yaml:2: keywords.Self_Harm: a list's name is its theme: lower-case letters, digits and hyphens"},
		{"no sources", "keywords:\n  self-harm: {title: Self-harm}\n",
			"policy.yaml:2: keywords.self-harm.sources: no sources given"},
		{"path and url", "keywords:\n  drugs:\n    sources:\n      - {path: d.txt, url: \"https://x.example/d.txt\"}\n",
			"policy.yaml:4: keywords.drugs.sources[0]: give exactly one of path or url"},
		{"neither", "keywords:\n  drugs:\n    sources:\n      - {}\n",
			"policy.yaml:4: keywords.drugs.sources[0]: give exactly one of path or url"},
		{"bad url", "keywords:\n  drugs:\n    sources:\n      - {url: \"ftp://x.example/d.txt\"}\n",
			"policy.yaml:4: keywords.drugs.sources[0].url: must be an http:// or https:// address"},
		{"a format", "keywords:\n  drugs: {sources: [{path: d.txt, format: domains}]}\n",
			"policy.yaml:2: keywords.drugs.sources[0].format: keyword lists have one format"},
		{"unknown field", "keywords:\n  drugs: {sources: [{path: d.txt}], fuzz: true}\n",
			"policy.yaml:2: keywords.drugs.fuzz: unknown field (known: title, sources, fuzzy)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.text)
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.text)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Count(err.Error(), "policy.yaml") != 1 {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestKeywordsParse(t *testing.T) {
	c, err := parse(t, "keywords:\n  self-harm: {title: Self-harm and suicide, fuzzy: true, sources: [{path: keywords/self-harm.txt}]}\n  drugs:\n    sources: [{url: \"https://lists.example/drugs.txt\"}, {path: local-drugs.txt, format: keywords}]\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Keywords.Names(); len(got) != 2 || got[0] != "self-harm" || got[1] != "drugs" {
		t.Fatalf("names %q", got)
	}
	sh := c.Keywords[0].Value
	if sh.Title != "Self-harm and suicide" || !sh.Fuzzy || sh.Sources[0].Path != "keywords/self-harm.txt" || c.Keywords[0].Line != 2 {
		t.Errorf("self-harm %+v line %d", sh, c.Keywords[0].Line)
	}
	if d := c.Keywords[1].Value; d.Fuzzy || len(d.Sources) != 2 || d.Sources[1].Line != 4 {
		t.Errorf("drugs %+v", d)
	}
}
