package policy

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy/lists"
)

// compileOverlaps compiles testdata/overlaps.yaml over the shared UT1
// samples.
func compileOverlaps(t *testing.T) (*Snapshot, string) {
	t.Helper()
	dir := sharedLists(t)
	data, err := os.ReadFile("testdata/overlaps.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "policy.yaml")
	c, err := config.Parse(p, p, []byte(strings.ReplaceAll(string(data), "LISTS", dir)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(c, Options{DataDir: t.TempDir(), Now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// TestOverlapsRealUT1: Overlaps finds exactly the entries that several of
// the UT1 samples list, as a plain map of names built from the same files
// finds them, names and all.
func TestOverlapsRealUT1(t *testing.T) {
	s, dir := compileOverlaps(t)
	want := map[string][]string{}
	for _, cat := range []struct{ name, folder string }{{"gambling", "gambling"}, {"games", "games"}, {"messaging", "chat"}, {"social-media", "social_networks"}} {
		seen := map[string]bool{}
		_, err := lists.ParseFile(filepath.Join(dir, "ut1", cat.folder), lists.FormatUT1, func(e lists.Entry) {
			name := strings.Clone(e.Host + e.Path) // e.Host is only valid during the call
			if !seen[name] {
				seen[name] = true
				want[name] = append(want[name], cat.name)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for name, cats := range want {
		if len(cats) < 2 {
			delete(want, name)
		} else {
			sort.Strings(cats)
		}
	}
	got := map[string][]string{}
	err := s.Overlaps(func(entry string, cats Set) bool {
		if _, dup := got[entry]; dup {
			t.Errorf("%s reported twice", entry)
		}
		var names []string
		cats.Each(func(i int) { names = append(names, s.CategoryName(i)) })
		sort.Strings(names)
		got[entry] = names
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || want["discord.com"] == nil {
		t.Fatalf("the samples no longer list discord.com twice: %v", want)
	}
	if len(got) != len(want) {
		t.Errorf("Overlaps found %d entries, the files hold %d", len(got), len(want))
	}
	for name, cats := range want {
		if g := strings.Join(got[name], ","); g != strings.Join(cats, ",") {
			t.Errorf("%s: Overlaps says %q, the files %q", name, g, cats)
		}
	}
	n := 0
	s.Overlaps(func(string, Set) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("Overlaps went on after fn said stop: %d calls", n)
	}
}

// TestOverlapReport: discord.com's rows disagree for every group, and the
// report names the row that wins for each.
func TestOverlapReport(t *testing.T) {
	s, _ := compileOverlaps(t)
	total, all, err := s.OverlapReport(0)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(all) || total < 8 || !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Entry < all[j].Entry }) {
		t.Fatalf("total %d, %d listed, sorted: the samples have at least 8 overlaps", total, len(all))
	}
	var discord *Overlap
	for i := range all {
		if all[i].Entry == "discord.com" {
			discord = &all[i]
		}
	}
	if discord == nil {
		t.Fatal("discord.com is not reported")
	}
	wins := map[string]string{}
	for _, g := range discord.Groups {
		wins[g.Group] = g.Wins
	}
	// nominated-staff: allow and allow, the same: not listed.
	want := map[string]string{"staff": "rules.social-media.staff", "pupils-ks2": "rules.messaging.others"}
	if len(wins) != len(want) || wins["staff"] != want["staff"] || wins["pupils-ks2"] != want["pupils-ks2"] {
		t.Errorf("discord.com: %+v, want wins %v", discord.Groups, want)
	}
	// And Decide agrees with the winner where the cells are fixed.
	q := Query{Host: "discord.com", Groups: s.GroupSet([]string{"pupils-ks2"}), At: time.Date(2026, 11, 25, 12, 30, 0, 0, time.UTC)}
	if d := s.Decide(&q); s.Rule(&d) != "rules.messaging.others" {
		t.Errorf("Decide says %s", s.Rule(&d))
	}
	_, some, _ := s.OverlapReport(5)
	if len(some) != 5 || some[0].Entry != all[0].Entry {
		t.Errorf("limit 5: %d", len(some))
	}
}
