package policy

import (
	"testing"
	"time"
)

// BenchmarkDecideOverrides: the same mix for a pupil whose group holds a
// category grant and a grant for every site, so every decision judges
// which cells an allow may open.
func BenchmarkDecideOverrides(b *testing.B) {
	d := benchSetup(b)
	s := compileFile(b, d.policy)
	var groups Set
	groups.Add(1) // pupils
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	ovs := NewOverrides([]Override{
		{ID: 1, Kind: "grant", Group: "pupils", Category: "cat0", Verdict: Allow, Until: at.Add(time.Hour)},
		{ID: 2, Kind: "grant", Group: "pupils", Verdict: Allow, Until: at.Add(time.Hour)},
	})
	n := len(d.targets)
	blocked := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q := Query{Host: d.targets[i&(n-1)], Groups: groups, At: at, Overrides: ovs}
		if s.Decide(&q).Verdict == Block {
			blocked++
		}
	}
	b.StopTimer()
	if blocked == 0 {
		b.Fatal("the grants opened the pupils' block cells")
	}
}
