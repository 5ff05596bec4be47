package keywords

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

func mustCompile(t testing.TB, lists ...List) *Set {
	t.Helper()
	s, err := Compile(lists)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestNormalisation: each variant the matcher undoes, against the
// phrase it spells, and near misses that must stay apart.
func TestNormalisation(t *testing.T) {
	s := mustCompile(t, List{Name: "themes", Phrases: []string{
		"self harm", "suicide", "kill", "so sad", "hate you", "ass", "sexting",
		"anorexia~", "kill myself", "stab",
	}})
	cases := []struct {
		variant, text string
		want          []string // phrases hit
	}{
		{"plain", "self harm", []string{"self harm"}},
		{"case", "SELF Harm", []string{"self harm"}},
		{"accents", "sùicídé", []string{"suicide"}},
		{"accents, compatibility forms", "ｓｕｉｃｉｄｅ", []string{"suicide"}},
		{"invisible characters inside a word", "sui\u200bci\u00adde", []string{"suicide"}},
		{"styled letters", "𝐬𝐮𝐢𝐜𝐢𝐝𝐞", []string{"suicide"}},
		{"repeated letters", "i am sooooo saaad", []string{"so sad"}},
		{"repeated letters in a doubled letter", "killllll", []string{"kill"}},
		{"leet 1 and 3", "su1c1de", []string{"suicide"}},
		{"leet 1 in a double letter", "k1ll", []string{"kill"}},
		{"leet 0 4 5 7 @ $", "h4te y0u", []string{"hate you"}},
		{"leet 5 and 7", "5ex7ing", []string{"sexting"}},
		{"leet @", "st@b", []string{"stab"}},
		{"leet $", "a$$", []string{"ass"}},
		{"leet !", "k!ll", []string{"kill"}},
		{"dot separator", "self.harm", []string{"self harm"}},
		{"hyphen separator", "self-harm", []string{"self harm"}},
		{"underscore separator", "self_harm", []string{"self harm"}},
		{"no separator", "selfharm", []string{"self harm"}},
		{"no separator, leet and case", "SELFH4RM", []string{"self harm"}},
		{"letters spelt out", "s.u.i.c.i.d.e", []string{"suicide"}},
		{"letters spaced", "k i l l", []string{"kill"}},
		{"letters spaced, a phrase", "s e l f h a r m", []string{"self harm"}},
		{"leet $ at the start", "$exting", []string{"sexting"}},
		{"apostrophe dropped", "i'll kill myself", []string{"kill", "kill myself"}},
		{"trailing punctuation", "kill!!!", []string{"kill"}},
		{"fuzzy: a letter changed", "anorexic", []string{"anorexia~"}},
		{"fuzzy: a letter dropped", "anorxia", []string{"anorexia~"}},
		{"fuzzy: a letter added", "anorexiar", []string{"anorexia~"}},
		{"fuzzy: neighbours swapped", "anroexia", []string{"anorexia~"}},
		{"fuzzy: two edits do not match", "anrxeia", nil},
		{"not fuzzy: a letter changed in a plain phrase", "suicida", nil},
		{"whole words: inside a word", "skills", nil},
		{"whole words: a shorter word", "as", nil},
		{"whole words: a run shorter than the phrase's", "kil", nil},
		{"whole words: prefix", "killer", nil},
		{"phrase needs all its words", "self", nil},
		{"phrase words in order", "harm self", nil},
		{"punctuation only", "!!! ... ---", nil},
		{"empty", "", nil},
	}
	for _, c := range cases {
		t.Run(c.variant, func(t *testing.T) {
			var got []string
			for _, h := range s.Match(c.text) {
				got = append(got, h.Phrase)
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("Match(%q) = %q, want %q", c.text, got, c.want)
			}
		})
	}
}

func TestExclusions(t *testing.T) {
	s := mustCompile(t,
		List{Name: "violence", Phrases: []string{"kill", "shoot"}, Exclusions: []string{"kill the lights", "kill time", "photo shoot"}},
		List{Name: "gaming", Phrases: []string{"kill time"}},
	)
	cases := []struct {
		text string
		want []string
	}{
		{"how to kill the lights in minecraft", nil},
		{"K1ll the l1ghts", nil},
		{"ways to kill time", []string{"gaming"}},
		{"kill the lights then kill him", []string{"violence"}},
		{"school photo shoot", nil},
		{"shoot the teacher", []string{"violence"}},
		{"kill", []string{"violence"}},
		// An exclusion never matches within an edit: the stricter answer.
		{"kill the lihgts", []string{"violence"}},
		// Many hits and exclusions: linear, and the one uncovered hit counts.
		{strings.Repeat("kill the lights, ", 20000), nil},
		{strings.Repeat("kill the lights, ", 20000) + "kill", []string{"violence"}},
	}
	for _, c := range cases {
		got := s.MatchLists(c.text)
		if !slices.Equal(got, c.want) {
			t.Errorf("MatchLists(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

// TestNoFalsePositives: ordinary school searches against phrases that
// hide inside their words.
func TestNoFalsePositives(t *testing.T) {
	s := mustCompile(t,
		List{Name: "violence", Phrases: []string{"kill", "assassin", "shoot", "gun", "bomb", "stab"}, Exclusions: []string{"assassins creed"}},
		List{Name: "sexual", Phrases: []string{"rape", "rapist", "sex", "nude", "penis"}},
		List{Name: "profanity", Phrases: []string{"ass", "hell", "crap", "tit", "cock"}},
		List{Name: "drugs", Phrases: []string{"weed", "coke", "pot"}},
		List{Name: "self-harm", Phrases: []string{"cut myself", "suicide~", "self harm"}},
	)
	for _, q := range []string{
		"skills for life", "assassin's creed history", "grapefruit", "therapist near me",
		"essex county council", "sussex university", "class assignment", "passage of time",
		"hello kitty", "shell shock ww1", "scrap metal", "shitake mushroom recipe",
		"gunpowder plot 1605", "bombay sapphire history", "stable isotopes", "title page template",
		"titanic facts", "cocktail party", "peacock feathers", "pen is mightier than the sword",
		"seaweed", "potato", "teapot", "e = mc2", "weekend", "cut my hair myself", "selfie ideas",
		"the assassination of franz ferdinand", "hashtag", "cockney rhyming slang", "pottery class",
	} {
		if got := s.Match(q); got != nil {
			t.Errorf("Match(%q) = %v, want nothing", q, got)
		}
	}
}

func TestMatchListsSortedUnique(t *testing.T) {
	s := mustCompile(t,
		List{Name: "zeta", Phrases: []string{"alpha"}},
		List{Name: "beta", Phrases: []string{"alpha", "gamma"}},
		List{Name: "alpha", Phrases: []string{"delta"}},
	)
	got := s.MatchLists("alpha gamma alpha delta")
	if want := []string{"alpha", "beta", "zeta"}; !slices.Equal(got, want) {
		t.Errorf("MatchLists = %q, want %q", got, want)
	}
	if got := s.MatchLists("nothing here"); got != nil {
		t.Errorf("MatchLists = %q, want nil", got)
	}
	hits := s.Match("gamma alpha")
	want := []Hit{{"beta", "alpha"}, {"beta", "gamma"}, {"zeta", "alpha"}}
	if !slices.Equal(hits, want) {
		t.Errorf("Match = %v, want %v", hits, want)
	}
}

func TestCompileErrors(t *testing.T) {
	for name, lists := range map[string][]List{
		"no words":  {{Name: "a", Phrases: []string{"!!!"}}},
		"too long":  {{Name: "a", Phrases: []string{"one two three four five six seven eight nine"}}},
		"duplicate": {{Name: "a", Phrases: []string{"x"}}, {Name: "a", Phrases: []string{"y"}}},
		"no name":   {{Phrases: []string{"x"}}},
	} {
		if _, err := Compile(lists); err == nil {
			t.Errorf("%s: Compile succeeded", name)
		}
	}
}

func TestFuzzyList(t *testing.T) {
	s := mustCompile(t, List{Name: "eating", Fuzzy: true, Phrases: []string{"purging", "thinspiration", "fat"}})
	for text, want := range map[string]bool{
		"purgng":          true,
		"thinspiraton":    true,
		"fst":             false, // a short word never matches within an edit
		"purging tips":    true,
		"urging":          true, // one edit: the price of fuzzy lists
		"merging":         false,
		"thinspirational": false,
	} {
		if got := s.MatchLists(text) != nil; got != want {
			t.Errorf("MatchLists(%q) matched %v, want %v", text, got, want)
		}
	}
}

func TestWithinOne(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"abc", "abc", true}, {"abc", "abd", true}, {"abc", "ab", true}, {"abc", "bc", true},
		{"abc", "acb", true}, {"abc", "bac", true}, {"abc", "cba", false}, {"abc", "a", false},
		{"abcd", "abdc", true}, {"abcd", "axcy", false}, {"ñandu", "nandu", true}, {"ñandú", "nandu", false},
	} {
		if got := withinOne(c.a, c.b); got != c.want {
			t.Errorf("withinOne(%q, %q) = %v", c.a, c.b, got)
		}
		if got := withinOne(c.b, c.a); got != c.want {
			t.Errorf("withinOne(%q, %q) = %v", c.b, c.a, got)
		}
	}
}

// TestConcurrentMatch: one Set, many goroutines (run with -race).
func TestConcurrentMatch(t *testing.T) {
	s := mustCompile(t, List{Name: "self-harm", Phrases: []string{"self harm", "suicide~"}, Exclusions: []string{"suicide squad"}},
		List{Name: "violence", Phrases: []string{"kill"}, Exclusions: []string{"kill time"}})
	texts := map[string][]string{"self-harm tips": {"self-harm"}, "suicdie": {"self-harm"}, "suicide squad": nil,
		"kill time": nil, "k1ll them": {"violence"}, "selfharm and kill": {"self-harm", "violence"}, strings.Repeat("long text ", 300) + "kill": {"violence"}}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 50; i++ {
				for text, want := range texts {
					if got := s.MatchLists(text); !slices.Equal(got, want) {
						t.Errorf("MatchLists(%.20q) = %q, want %q", text, got, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
