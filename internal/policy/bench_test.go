package policy

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"schoolgate/internal/config"
)

// The benchmarks compile 2,000,000 generated entries in 8 categories and
// decide random targets across the whole table, half of them listed.
// Figures are in BENCHMARKS.md; reproduce with
//
//	go test -run '^$' -bench . -benchtime 2s -count 5 ./internal/policy/

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

type benchData struct {
	dir     string // removed by TestMain
	policy  string
	listed  []string
	targets []string
}

var (
	benchOnce sync.Once
	benchD    benchData
)

// TestMain removes the benchmarks' generated lists (32 MB) after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchD.dir != "" {
		os.RemoveAll(benchD.dir)
	}
	os.Exit(code)
}

func benchSetup(b *testing.B) benchData {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "schoolgate-bench-")
		if err != nil {
			b.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		var sb strings.Builder
		var y strings.Builder
		y.WriteString("site: {timezone: Europe/London}\ncategories:\n")
		const cats = 8
		listed := make([]string, 0, benchEntries)
		for c := 0; c < cats; c++ {
			p := filepath.Join(dir, fmt.Sprintf("cat%d.txt", c))
			f, err := os.Create(p)
			if err != nil {
				b.Fatal(err)
			}
			w := bufio.NewWriter(f)
			for i := 0; i < benchEntries/cats; i++ {
				n := genName(r, &sb)
				if i%16 == 0 {
					listed = append(listed, n)
				}
				w.WriteString(n)
				w.WriteByte('\n')
			}
			w.Flush()
			f.Close()
			fmt.Fprintf(&y, "  cat%d:\n    sources: [{path: %s, format: domains}]\n", c, p)
		}
		y.WriteString("schedules:\n  lunch: [{days: [mon, tue, wed, thu, fri], from: \"12:00\", to: \"13:00\"}]\n")
		y.WriteString("groups:\n  staff: {networks: [10.10.0.0/16]}\n  pupils: {networks: [10.20.0.0/16]}\nrules:\n")
		for c := 0; c < cats; c++ {
			fmt.Fprintf(&y, "  cat%d: {staff: allow during lunch, pupils: block, others: warn}\n", c)
		}
		y.WriteString("default: allow\n")
		pp := filepath.Join(dir, "policy.yaml")
		os.WriteFile(pp, []byte(y.String()), 0o644)
		// Targets: half listed (a third of those under a www. or deeper
		// label), half not.
		r2 := rand.New(rand.NewPCG(3, 4))
		// The targets are laid out one after another in one buffer and
		// decided in order, as a server decides names it has just read
		// from packets: the host bytes are in cache, the table is not.
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
		benchD = benchData{dir: dir, policy: pp, listed: listed, targets: targets}
	})
	return benchD
}

func compileFile(b *testing.B, path string) *Snapshot {
	c, err := config.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	s, err := Compile(c, Options{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkDecide: one decision on an already-parsed host, random targets
// across the whole 2M table.
func BenchmarkDecide(b *testing.B) {
	if benchDecide(b, 1, len(benchSetup(b).targets), 1, 0) == 0 {
		b.Fatal("nothing blocked")
	}
}

// BenchmarkDecideListed and BenchmarkDecideUnlisted split the mix: a
// listed name costs one cache miss into the table; most unlisted names are
// refused by the in-cache filter without one.
func BenchmarkDecideListed(b *testing.B) {
	if benchDecide(b, 1, len(benchSetup(b).targets)/2, 2, 0) == 0 {
		b.Fatal("no listed name blocked")
	}
}

func BenchmarkDecideUnlisted(b *testing.B) { benchDecide(b, 1, len(benchSetup(b).targets)/2, 2, 1) }

// BenchmarkDecideSchedule: the same through an "allow during" cell, which
// converts the time to the site's zone.
func BenchmarkDecideSchedule(b *testing.B) { benchDecide(b, 0, len(benchSetup(b).targets), 1, 0) }

// benchDecide decides targets[(i mod n)*step+off] for group (0 staff, 1
// pupils) and returns how many were blocked; n is a power of two.
func benchDecide(b *testing.B, group, n, step, off int) int {
	d := benchSetup(b)
	s := compileFile(b, d.policy)
	var groups Set
	groups.Add(group)
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	blocked := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q := Query{Host: d.targets[(i&(n-1))*step+off], Groups: groups, At: at}
		if s.Decide(&q).Verdict == Block {
			blocked++
		}
	}
	b.StopTimer()
	return blocked
}

// BenchmarkCompile: entries/s, bytes per entry held after compile, and the
// peak heap during a reload (old snapshot still live) against the steady
// heap with one snapshot.
func BenchmarkCompile(b *testing.B) {
	d := benchSetup(b)
	var keep *Snapshot
	for b.Loop() {
		keep = compileFile(b, d.policy)
	}
	b.StopTimer()
	b.ReportMetric(float64(keep.Entries())/keep.CompileTime().Seconds(), "entries/s")
	b.ReportMetric(float64(keep.TableBytes())/float64(keep.Entries()), "table-B/entry")

	keep = nil
	runtime.GC()
	debug.FreeOSMemory()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	s1 := compileFile(b, d.policy)
	runtime.GC()
	var steady runtime.MemStats
	runtime.ReadMemStats(&steady)
	perEntry := float64(steady.HeapAlloc-base.HeapAlloc) / float64(s1.Entries())
	b.ReportMetric(perEntry, "heap-B/entry")

	// Reload beside the running snapshot, sampling the heap.
	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var m runtime.MemStats
		var max uint64
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				peak <- max
				return
			case <-t.C:
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > max {
					max = m.HeapAlloc
				}
			}
		}
	}()
	s2 := compileFile(b, d.policy)
	close(stop)
	p := <-peak
	runtime.KeepAlive(s1)
	runtime.KeepAlive(s2)
	b.ReportMetric(float64(p)/float64(steady.HeapAlloc), "reload-peak/steady")
}
