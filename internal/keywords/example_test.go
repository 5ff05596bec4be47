package keywords_test

import (
	"fmt"

	"schoolgate/internal/keywords"
)

// The alert engine compiles the lists once (keywords.Load from the
// policy) and asks each captured search term which lists it matches.
func ExampleSet_MatchLists() {
	s, err := keywords.Compile([]keywords.List{
		{Name: "self-harm", Phrases: []string{"self harm", "suicide~"}, Exclusions: []string{"suicide squad"}},
		{Name: "weapons", Phrases: []string{"kill", "zombie knife"}, Exclusions: []string{"kill the lights"}},
	})
	if err != nil {
		panic(err)
	}
	for _, term := range []string{"SELF-H4RM", "how to kill the lights", "suicde", "suicide squad cast", "k1ll him with a zombie-knife"} {
		fmt.Printf("%q: %q\n", term, s.MatchLists(term))
	}
	fmt.Println(s.Match("k1ll him with a zombie-knife"))
	// Output:
	// "SELF-H4RM": ["self-harm"]
	// "how to kill the lights": []
	// "suicde": ["self-harm"]
	// "suicide squad cast": []
	// "k1ll him with a zombie-knife": ["weapons"]
	// [{weapons kill} {weapons zombie knife}]
}
