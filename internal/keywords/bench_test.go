package keywords

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
)

// benchPhrases makes n phrases of one to three made-up words (so that
// few collide with the searches), every tenth fuzzy, deterministically.
func benchPhrases(n int) []List {
	r := rand.New(rand.NewPCG(12, 2026))
	const letters = "abcdefghijklmnopqrstuvwxyz"
	word := func() string {
		b := make([]byte, 4+r.IntN(7))
		for i := range b {
			b[i] = letters[r.IntN(len(letters))]
		}
		return string(b)
	}
	lists := make([]List, 8)
	for i := range lists {
		lists[i].Name = "theme-" + string(rune('a'+i))
	}
	for i := 0; i < n; i++ {
		ws := make([]string, 1+r.IntN(3))
		for k := range ws {
			ws[k] = word()
		}
		p := strings.Join(ws, " ")
		if i%10 == 0 {
			p += "~"
		}
		l := &lists[i%len(lists)]
		l.Phrases = append(l.Phrases, p)
	}
	return lists
}

// benchSearches is realistic search terms: pupils' homework, games and
// questions, with one in fifty carrying a listed phrase.
func benchSearches(lists []List, n int) []string {
	base := []string{
		"skills for life", "assassin's creed history", "grapefruit nutrition facts", "therapist near me",
		"how to draw a horse", "bbc bitesize gcse maths", "photosynthesis equation", "minecraft seeds 1.21",
		"world war 2 timeline for kids", "what is the capital of australia", "fortnite item shop today",
		"how many moons does jupiter have", "romeo and juliet act 3 summary", "year 7 french verbs",
		"times tables games", "periodic table with names", "roblox promo codes", "kahoot join",
		"how to solve quadratic equations", "the tudors primary homework help", "shakespeare insults",
		"youtube mr beast", "football scores premier league", "why is the sky blue", "volcano facts ks2",
		"how to say hello in spanish", "best books for 12 year olds", "pythagoras theorem calculator",
		"climate change effects", "spotify taylor swift", "how to make slime without glue",
		"animal cell diagram labelled", "netflix stranger things season 5", "coding for kids scratch",
		"how tall is the eiffel tower", "oliver twist characters", "google translate", "weather tomorrow",
		"tiktok dances 2026", "famous paintings van gogh", "gcse biology revision", "who won euro 2024",
	}
	r := rand.New(rand.NewPCG(7, 11))
	out := make([]string, n)
	for i := range out {
		out[i] = base[r.IntN(len(base))]
		if i%50 == 0 {
			l := lists[r.IntN(len(lists))]
			p := strings.TrimSuffix(l.Phrases[r.IntN(len(l.Phrases))], "~")
			out[i] = "how to " + p + " at school"
		}
	}
	return out
}

// BenchmarkMatchLists: 5,000 phrases over realistic search terms, one
// term per operation; "naive" is a strings.Contains loop over every
// phrase (after lower-casing, no other normalisation), the floor any
// per-phrase matcher pays.
func BenchmarkMatchLists(b *testing.B) {
	lists := benchPhrases(5000)
	s := mustCompile(b, lists...)
	terms := benchSearches(lists, 4096)
	b.Run("trie", func(b *testing.B) {
		b.ReportAllocs()
		hits, cpu := 0, cpuTime()
		i := 0
		for ; b.Loop(); i++ {
			if s.MatchLists(terms[i%len(terms)]) != nil {
				hits++
			}
		}
		reportCPU(b, cpu, i)
		if hits == 0 {
			b.Fatal("no term matched")
		}
	})
	b.Run("naive", func(b *testing.B) {
		type ph struct {
			list int
			text string
		}
		var all []ph
		for li, l := range lists {
			for _, p := range l.Phrases {
				all = append(all, ph{li, strings.TrimSuffix(p, "~")})
			}
		}
		b.ReportAllocs()
		hits, cpu := 0, cpuTime()
		i := 0
		for ; b.Loop(); i++ {
			t := strings.ToLower(terms[i%len(terms)])
			var seen [8]bool
			n := 0
			for _, p := range all {
				if !seen[p.list] && strings.Contains(t, p.text) {
					seen[p.list] = true
					n++
				}
			}
			if n > 0 {
				hits++
			}
		}
		reportCPU(b, cpu, i)
		if hits == 0 {
			b.Fatal("no term matched")
		}
	})
}

// reportCPU adds the CPU time per term (and its inverse, terms per CPU
// second) to the wall-clock figures: on a machine shared with other work
// the CPU time is the one that says what a core can do.
func reportCPU(b *testing.B, start time.Duration, n int) {
	if n == 0 {
		return
	}
	if used := cpuTime() - start; used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(n), "cpu-ns/op")
		b.ReportMetric(float64(n)/used.Seconds(), "terms/cpu-s")
	}
}

// BenchmarkCompile: building the Set of 5,000 phrases, and the heap the
// Set then holds (held-B).
func BenchmarkCompile(b *testing.B) {
	lists := benchPhrases(5000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	kept := mustCompile(b, lists...)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(kept)
	b.ReportAllocs()
	for b.Loop() {
		mustCompile(b, lists...)
	}
	b.ReportMetric(float64(after.HeapAlloc)-float64(before.HeapAlloc), "held-B")
}

// BenchmarkMatchListsScale: the cost of a match does not grow with the
// number of phrases (500, 5,000, 50,000 over the same searches).
func BenchmarkMatchListsScale(b *testing.B) {
	for _, n := range []int{500, 5000, 50000} {
		lists := benchPhrases(n)
		s := mustCompile(b, lists...)
		terms := benchSearches(lists, 4096)
		b.Run(fmt.Sprintf("phrases=%d", n), func(b *testing.B) {
			cpu := cpuTime()
			i := 0
			for ; b.Loop(); i++ {
				s.MatchLists(terms[i%len(terms)])
			}
			reportCPU(b, cpu, i)
		})
	}
}
