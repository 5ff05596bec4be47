package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"schoolgate/internal/config"
)

// TestTable: keys survive the table's growth, compaction and wrap-around,
// the filter passes every stored key, and lookup (the batched path Decide
// takes) agrees with get.
func TestTable(t *testing.T) {
	tb := newTable(0) // grows many times
	const n = 20000
	for i := 0; i < n; i++ {
		tb.upsert(nameKey(fmt.Sprintf("h%d.example", i)), func(old uint16, found bool) uint16 {
			if found {
				t.Fatalf("h%d stored twice", i)
			}
			return uint16(i)
		})
	}
	tb.compact()
	tb.buildFilter()
	if tb.n != n {
		t.Fatalf("n = %d, want %d", tb.n, n)
	}
	var vals [maxSuffixes]uint16
	var found [maxSuffixes]bool
	for i := 0; i < n; i += maxSuffixes {
		keys := make([]uint64, 0, maxSuffixes)
		for j := i; j < min(i+maxSuffixes, n); j++ {
			k := nameKey(fmt.Sprintf("h%d.example", j))
			if !tb.f.has(k) {
				t.Fatalf("filter refuses stored h%d", j)
			}
			if v, ok := tb.get(k); !ok || v != uint16(j) {
				t.Fatalf("get(h%d) = %d, %v", j, v, ok)
			}
			keys = append(keys, k)
		}
		vals, found = [maxSuffixes]uint16{}, [maxSuffixes]bool{}
		if hits := tb.lookup(keys, &vals, &found); hits != len(keys) {
			t.Fatalf("lookup from h%d: %d hits of %d", i, hits, len(keys))
		}
		for j := range keys {
			if !found[j] || vals[j] != uint16(i+j) {
				t.Fatalf("lookup h%d = %d, %v", i+j, vals[j], found[j])
			}
		}
		// A stored key between unstored ones is found at its own index.
		mixed := []uint64{nameKey("nowhere.example"), keys[0], nameKey("nor.here.example")}
		vals, found = [maxSuffixes]uint16{}, [maxSuffixes]bool{}
		if hits := tb.lookup(mixed, &vals, &found); hits != 1 || found[0] || !found[1] || found[2] || vals[1] != uint16(i) {
			t.Fatalf("lookup of a mix from h%d: %d hits, found %v, value %d", i, hits, found[:3], vals[1])
		}
	}
	passed := 0
	for i := 0; i < n; i++ {
		k := nameKey(fmt.Sprintf("u%d.example", i))
		if _, ok := tb.get(k); ok {
			t.Fatalf("unstored u%d found", i)
		}
		if tb.f.has(k) {
			passed++
		}
	}
	// Eight bits an entry and four probes: a few percent false positives.
	if passed > n/10 {
		t.Errorf("filter passes %d of %d unstored keys", passed, n)
	}
}

// TestBareTLDEntry: an entry that is a bare TLD lists every name under it;
// without one, lookups skip the TLD probe, and a listed IPv6 address (no
// dot either) does not count as one.
func TestBareTLDEntry(t *testing.T) {
	compile := func(entries string) *Snapshot {
		t.Helper()
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "c.txt"), []byte(entries), 0o644)
		y := "categories:\n  c:\n    sources: [{path: c.txt, format: domains}]\nrules:\n  c: {others: block}\n"
		c, err := config.Parse("p.yaml", filepath.Join(dir, "p.yaml"), []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		s, err := Compile(c, Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	verdict := func(s *Snapshot, host string) Verdict {
		d := s.Decide(&Query{Host: host, At: at})
		return d.Verdict
	}

	s := compile("zip\nexample.com\n")
	if !s.domains.singleLabel {
		t.Error("a bare TLD entry does not mark the table")
	}
	for host, want := range map[string]Verdict{"zip": Block, "a.zip": Block, "a.b.zip": Block, "www.example.com": Block, "zip.example": Allow} {
		if got := verdict(s, host); got != want {
			t.Errorf("with zip listed: %s = %s, want %s", host, got, want)
		}
	}

	s = compile("2001:db8::7\nexample.com\n")
	if s.domains.singleLabel {
		t.Error("an IPv6 entry marks the table as holding a bare TLD")
	}
	for host, want := range map[string]Verdict{"2001:db8::7": Block, "[2001:db8::7]:443": Block, "www.example.com": Block, "com": Allow, "example.org": Allow} {
		if got := verdict(s, host); got != want {
			t.Errorf("with an IPv6 entry: %s = %s, want %s", host, got, want)
		}
	}
}
