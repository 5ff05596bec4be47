package keywords

import (
	"slices"
	"testing"
)

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// FuzzMatch: the matcher never panics, its answer does not depend on the
// whitespace around the text or on its (ASCII) case, and MatchLists
// names exactly the lists of Match's hits.
func FuzzMatch(f *testing.F) {
	s := mustCompile(f,
		List{Name: "self-harm", Phrases: []string{"self harm", "suicide~", "kill myself", "cut myself"}, Exclusions: []string{"kill myself laughing"}},
		List{Name: "violence", Phrases: []string{"kill", "stab", "shoot up"}, Exclusions: []string{"kill the lights"}},
		List{Name: "profanity", Phrases: []string{"ass", "sh!t"}},
		List{Name: "eating", Fuzzy: true, Phrases: []string{"thinspiration", "pro ana"}},
	)
	for _, seed := range []string{
		"self-harm", "su1c1de", "kill the lights", "k i l l", "a$$", "SELFHARM", "sùicídé", "kill myself laughing",
		"thinspiraton", "", " ", "\xff\xfe", "s.u.i.c.i.d.e", "!!!", "proana", "st@b", "ｓｅｌｆ ｈａｒｍ",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := s.MatchLists(text)
		for _, variant := range []string{"  " + text + "\t\n", asciiUpper(text), "\u00a0" + text + " "} {
			if other := s.MatchLists(variant); !slices.Equal(got, other) {
				t.Fatalf("MatchLists(%q) = %q but MatchLists(%q) = %q", text, got, variant, other)
			}
		}
		var lists []string
		for _, h := range s.Match(text) {
			if !slices.Contains(lists, h.List) {
				lists = append(lists, h.List)
			}
		}
		slices.Sort(lists)
		if !slices.Equal(got, lists) {
			t.Fatalf("MatchLists(%q) = %q, Match's lists %q", text, got, lists)
		}
		if got != nil && !slices.IsSorted(got) {
			t.Fatalf("MatchLists(%q) = %q: not sorted", text, got)
		}
	})
}
