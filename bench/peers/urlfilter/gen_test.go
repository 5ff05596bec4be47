package peer

import (
	"math/rand/v2"
	"strings"
)

// The same generator and seeds as internal/policy/bench_test.go, so both
// benchmarks load the same names and decide the same targets.

const benchEntries = 2_000_000

var tlds = []string{"com", "net", "org", "co.uk", "de", "fr", "io", "xyz", "info", "ru", "com.br", "nl"}

func genName(r *rand.Rand, sb *strings.Builder) string {
	sb.Reset()
	if r.IntN(5) == 0 {
		writeLabel(r, sb, 2+r.IntN(6))
		sb.WriteByte('.')
	}
	writeLabel(r, sb, 5+r.IntN(12))
	sb.WriteByte('.')
	sb.WriteString(tlds[r.IntN(len(tlds))])
	return sb.String()
}

func writeLabel(r *rand.Rand, sb *strings.Builder, n int) {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789-"
	for i := 0; i < n; i++ {
		c := letters[r.IntN(26)]
		if i > 0 && i < n-1 {
			c = letters[r.IntN(len(letters))]
		}
		sb.WriteByte(c)
	}
}

// generate returns the rules text and the targets.
func generate() (string, []string) {
	r := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	var rulesText strings.Builder
	const cats = 8
	listed := make([]string, 0, benchEntries/16)
	for c := 0; c < cats; c++ {
		for i := 0; i < benchEntries/cats; i++ {
			n := genName(r, &sb)
			if i%16 == 0 {
				listed = append(listed, n)
			}
			rulesText.WriteString("||")
			rulesText.WriteString(n)
			rulesText.WriteString("^\n")
		}
	}
	r2 := rand.New(rand.NewPCG(3, 4))
	targets := make([]string, 1<<16)
	for i := range targets {
		if i%2 == 0 {
			n := listed[r2.IntN(len(listed))]
			if r2.IntN(3) == 0 {
				n = "www." + n
			}
			targets[i] = n
		} else {
			targets[i] = "u" + genName(r2, &sb)
		}
	}
	var buf []byte
	for _, t := range targets {
		buf = append(buf, t...)
	}
	packed := string(buf)
	off := 0
	for i := range targets {
		n := len(targets[i])
		targets[i] = packed[off : off+n]
		off += n
	}
	return rulesText.String(), targets
}
