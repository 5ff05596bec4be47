package peer

import (
	"runtime"
	"testing"
	"time"

	"github.com/AdguardTeam/urlfilter"
	"github.com/AdguardTeam/urlfilter/filterlist"
)

func load(b *testing.B, text string) *urlfilter.DNSEngine {
	s, err := filterlist.NewRuleStorage([]filterlist.Interface{filterlist.NewString(&filterlist.StringConfig{RulesText: text, ID: 1, IgnoreCosmetic: true})})
	if err != nil {
		b.Fatal(err)
	}
	return urlfilter.NewDNSEngine(s)
}

// BenchmarkURLFilterMatch is the peer of policy.BenchmarkDecide.
func BenchmarkURLFilterMatch(b *testing.B) {
	text, targets := generate()
	e := load(b, text)
	matched := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, ok := e.Match(targets[i&(len(targets)-1)]); ok {
			matched++
		}
	}
	if matched == 0 {
		b.Fatal("nothing matched")
	}
}

// BenchmarkURLFilterLoad reports the heap held per rule and load speed.
func BenchmarkURLFilterLoad(b *testing.B) {
	text, _ := generate()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var e *urlfilter.DNSEngine
	var took time.Duration
	for b.Loop() {
		start := time.Now()
		e = load(b, text)
		took = time.Since(start)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(e.RulesCount)/took.Seconds(), "entries/s")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(e.RulesCount), "heap-B/entry")
	runtime.KeepAlive(e)
}
