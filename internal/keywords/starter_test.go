package keywords

import (
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"schoolgate/internal/config"
	"schoolgate/internal/starter"
)

// TestStarterLists: `schoolgate init` writes the starter keyword lists
// beside the starter policy, which names all eight; each has 20 to 60
// phrases of its own and says it is a starting point; ordinary school
// searches match none of them and concerning ones the right theme.
func TestStarterLists(t *testing.T) {
	dir := t.TempDir()
	path, err := starter.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load(c, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if w := s.Warnings(); len(w) > 0 {
		t.Errorf("warnings: %q", w)
	}
	want := []string{"bullying", "drugs", "eating-disorders", "extremism", "grooming", "profanity", "self-harm", "weapons"}
	if got := s.Lists(); !slices.Equal(got, want) {
		t.Fatalf("lists %q, want %q", got, want)
	}
	files, _ := fs.Glob(starter.Keywords, "keywords/*.txt")
	if len(files) != len(want) {
		t.Errorf("%d starter files, want %d", len(files), len(want))
	}
	for _, e := range c.Keywords {
		var l List
		if err := ReadFile(c.Path(e.Value.Sources[0].Path), &l); err != nil {
			t.Errorf("%s: %v", e.Name, err)
		}
		if n := len(l.Phrases); n < 20 || n > 60 {
			t.Errorf("%s: %d phrases, want 20 to 60", e.Name, n)
		}
		b, _ := fs.ReadFile(starter.Keywords, "keywords/"+filepath.Base(e.Value.Sources[0].Path))
		if !strings.Contains(string(b), "A starting point") {
			t.Errorf("%s: no header saying it is a starting point", e.Name)
		}
	}

	for _, q := range []string{
		"skills for life", "assassin's creed history", "grapefruit", "therapist near me",
		"to kill a mockingbird chapter 3 summary", "how to kill time on a long journey", "kill the lights minecraft redstone",
		"rape seed oil uses", "oilseed rape fields", "weed killer safe for pets", "pond weed identification",
		"faggots and peas recipe", "slag heaps industrial revolution", "william the bastard battle of hastings",
		"prick your finger blood test", "national action plan for climate", "suicide squad cast",
		"heroine of pride and prejudice", "stable isotopes gcse", "methods of separating mixtures",
		"pot of gold st patricks day", "grooming a dog", "dog grooming near me", "bombay duck",
		"shooting stars meteor shower", "the great barrier reef", "essex police", "sussex",
		"nude colour eyeshadow", "popcorn maker", "cocktail sticks craft", "shell suit 80s",
		"hate crime definition ks3", "white blood cells function", "war of the roses", "gas exchange in the lungs",
		"jump rope games", "beat the teacher maths game", "end of term party ideas", "overdone steak",
		"meeting minutes template", "national trust", "overdrive", "incentive", "stab vest police history",
		"ecstasy of saint teresa bernini", "sexton blake", "scunthorpe united", "penistone grammar school",
		"cockermouth", "shitake mushrooms", "arsenal fc", "twatt orkney", "bitcoin", "glockenspiel lessons",
		"how to kill a plant by overwatering", "kill command linux", "weed out the weak", "overdose of vitamin d",
		"white power rangers", "burn book mean girls", "whore of babylon revelation", "rape of the lock analysis",
		"stab wound first aid", "killer whale facts", "hanging gardens of babylon", "how to cut a mango",
		"bath bomb recipe", "skinny jeans", "diet coke", "isis goddess egyptian", "jihad meaning religious studies",
		"the purge film age rating", "fire retardant", "cock a doodle doo", "dick whittington", "middlesex",
		"kill the ender dragon", "kill you with kindness lyrics", "pro am golf", "drugs in sport gcse pe",
	} {
		if got := s.Match(q); got != nil {
			t.Errorf("Match(%q) = %v, want nothing", q, got)
		}
	}
	for q, list := range map[string]string{
		"how to k1ll myself":          "self-harm",
		"su1c1de methods":             "self-harm",
		"selfharm scars hide":         "self-harm",
		"how to join isis":            "extremism",
		"Heil Hitler meme":            "extremism",
		"everyone hates you loser":    "bullying",
		"KYS":                         "bullying",
		"send nudes":                  "grooming",
		"our little secret dont tell": "grooming",
		"where to buy weeeed":         "drugs",
		"ketamin effects":             "drugs",
		"zombie knife for sale":       "weapons",
		"i want to kill him":          "weapons",
		"gonna kill you tomorrow":     "weapons",
		"how to make a pipe-bomb":     "weapons",
		"pro-ana tips":                "eating-disorders",
		"thinspiration pics":          "eating-disorders",
		"wtf is this":                 "profanity",
		"f.u.c.k":                     "profanity",
	} {
		if got := s.MatchLists(q); !slices.Contains(got, list) {
			t.Errorf("MatchLists(%q) = %q, want %s among them", q, got, list)
		}
	}
}
