package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy/lists"
)

// sharedLists is ../shared/data/lists beside the repository (or
// $SCHOOLGATE_SHARED/data/lists).
func sharedLists(tb testing.TB) string {
	tb.Helper()
	root := os.Getenv("SCHOOLGATE_SHARED")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared")
	}
	dir, _ := filepath.Abs(filepath.Join(root, "data", "lists"))
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("shared lists missing at %s", dir)
		}
		tb.Skipf("shared lists not found at %s", dir)
	}
	return dir
}

type realSource struct{ category, path, format string }

func realSources(dir string) []realSource {
	var out []realSource
	ut1, _ := filepath.Glob(filepath.Join(dir, "ut1", "*"))
	for _, p := range ut1 {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			out = append(out, realSource{"ut1-" + filepath.Base(p), p, lists.FormatUT1})
		}
	}
	add := func(cat, rel, format string) {
		out = append(out, realSource{cat, filepath.Join(dir, rel), format})
	}
	add("sinf-gambling", "sinfonietta/gambling-hosts", lists.FormatHosts)
	add("sinf-porn", "sinfonietta/pornography-hosts", lists.FormatHosts)
	add("sinf-social", "sinfonietta/social-hosts", lists.FormatHosts)
	add("porn-top", "chadmayfield/pi_blocklist_porn_top1m.list", lists.FormatDomains)
	add("bypass-adblock", "hagezi/adblock/doh-vpn-proxy-bypass.txt", lists.FormatAdblock)
	add("bypass", "hagezi/domains/doh-vpn-proxy-bypass.txt", lists.FormatDomains)
	add("drugs-adblock", "blocklistproject/adguard/drugs-ags.txt", lists.FormatAdblock)
	add("drugs-hosts", "blocklistproject/drugs.txt", lists.FormatHosts)
	add("doh", "dibdot-doh/doh-domains.txt", lists.FormatDomains)
	nl, _ := filepath.Glob(filepath.Join(dir, "blocklistproject/alt-version/*-nl.txt"))
	for _, p := range nl {
		add("blp-"+strings.TrimSuffix(filepath.Base(p), "-nl.txt"), strings.TrimPrefix(p, dir+"/"), lists.FormatDomains)
	}
	return out
}

func realPolicy(tb testing.TB, sources []realSource) *Snapshot {
	tb.Helper()
	var b strings.Builder
	b.WriteString("site: {timezone: Europe/London}\ncategories:\n")
	for _, s := range sources {
		fmt.Fprintf(&b, "  %s:\n    sources: [{path: %q, format: %s}]\n", s.category, s.path, s.format)
	}
	b.WriteString("groups:\n  pupils: {networks: [10.0.0.0/8]}\nrules:\n")
	for _, s := range sources {
		fmt.Fprintf(&b, "  %s: {others: block}\n", s.category)
	}
	b.WriteString("default: allow\n")
	c, err := config.Parse("real.yaml", "/tmp/real.yaml", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := Compile(c, Options{DataDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestRealLists loads every real list in ../shared/data/lists and checks
// that every entry each parser emits is matched by the compiled table, in
// its own category, and that popular sites are not swept up.
func TestRealLists(t *testing.T) {
	dir := sharedLists(t)
	sources := realSources(dir)
	start := time.Now()
	s := realPolicy(t, sources)
	t.Logf("%d sources, %d distinct entries, compiled in %s, table %d bytes", len(sources), s.Entries(), time.Since(start), s.TableBytes())
	if s.Entries() < 150000 {
		t.Fatalf("only %d entries loaded", s.Entries())
	}
	var pupils Set
	pupils.Add(0)
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	checked := 0
	for _, src := range sources {
		ci, _ := s.CategoryIndex(src.category)
		unlisted := map[string]bool{}
		var entries []lists.Entry
		_, err := lists.ParseFile(src.path, src.format, func(e lists.Entry) {
			e.Host, e.Path = strings.Clone(e.Host), strings.Clone(e.Path)
			if e.Kind == lists.Unlist {
				unlisted[e.Host] = true
			}
			entries = append(entries, e)
		})
		if err != nil {
			t.Fatalf("%s: %v", src.path, err)
		}
		for _, e := range entries {
			if e.Kind == lists.Unlist || underUnlisted(e.Host, unlisted) {
				continue
			}
			q := Query{Host: e.Host, Groups: pupils, At: at}
			want := e.Host
			if e.Kind == lists.URL {
				q.Path, want = e.Path, e.Host+e.Path
			}
			d := s.Decide(&q)
			if !d.Categories.Has(ci) {
				t.Fatalf("%s line %d: %s not in category %s (got %v)", src.path, e.Line, want, src.category, s.CategoryNames(&d))
			}
			if d.Verdict != Block {
				t.Fatalf("%s: %s verdict %s", src.path, want, d.Verdict)
			}
			checked++
		}
	}
	t.Logf("checked %d entries", checked)
	for _, host := range []string{"google.com", "www.bbc.co.uk", "wikipedia.org", "gov.uk"} {
		d := s.Decide(&Query{Host: host, Groups: pupils, At: at})
		if d.Verdict != Allow {
			t.Errorf("%s: %s by %s (%v)", host, d.Verdict, s.Rule(&d), s.CategoryNames(&d))
		}
	}
}

func underUnlisted(h string, unlisted map[string]bool) bool {
	for {
		if unlisted[h] {
			return true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			return false
		}
		h = h[i+1:]
	}
}
