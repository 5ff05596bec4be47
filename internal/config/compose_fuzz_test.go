package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// fuzzCells are the cells the fuzzer draws from; "" leaves the cell out.
var fuzzCells = []string{"", "allow", "warn", "permission", "block",
	"allow during lunch", "block during lunch", "allow during day", "block during day", "allow during lunch, late"}

// fuzzRow writes a row of cells for the columns, drawing from data.
func fuzzRow(data []byte, at *int, columns []string, needOthers bool) string {
	var cells []string
	for _, col := range columns {
		b := byte(0)
		if *at < len(data) {
			b = data[*at]
			*at++
		}
		v := fuzzCells[int(b)%len(fuzzCells)]
		if v == "" && col == "others" && needOthers {
			v = "block"
		}
		if v != "" {
			cells = append(cells, fmt.Sprintf("%s: %q", col, v))
		}
	}
	return "{" + strings.Join(cells, ", ") + "}"
}

func fuzzPolicies(data []byte) (trust, school string) {
	at := 0
	next := func() byte {
		if at < len(data) {
			at++
			return data[at-1]
		}
		return 0
	}
	var t strings.Builder
	t.WriteString(`sites: {school-a: {name: A}}
relaxable: [c1]
categories:
  c0: {illegal: true, sources: [{path: c0.txt, format: domains}]}
  c1: {sources: [{path: c1.txt, format: domains}]}
  c2: {sources: [{path: c2.txt, format: domains}]}
  c3: {sources: [{path: c3.txt, format: domains}]}
schedules:
  lunch: [{days: [mon, tue, wed, thu, fri], from: "12:00", to: "13:00"}]
  day: [{days: [mon, tue, wed, thu, fri], from: "08:30", to: "15:30"}]
  late: [{days: [fri, sat], from: "22:00", to: "02:00"}]
groups: {g0: {users: [x]}, g1: {users: [y]}, g2: {users: [z]}}
`)
	if g := next() % 4; g < 3 {
		fmt.Fprintf(&t, "default_group: g%d\n", g)
	}
	trustCols := []string{"g0", "g1", "g2", "others"}
	t.WriteString("rules:\n  c0: block\n")
	for _, c := range []string{"c1", "c2", "c3"} {
		fmt.Fprintf(&t, "  %s: %s\n", c, fuzzRow(data, &at, trustCols, false))
	}
	fmt.Fprintf(&t, "default: %s\n", fuzzRow(data, &at, trustCols, true))

	var s strings.Builder
	s.WriteString("extends: trust.yaml\nsite: {id: school-a}\n")
	cols := trustCols
	if next()%2 == 1 {
		s.WriteString("groups: {g3: {networks: [10.3.0.0/16]}}\n")
		cols = []string{"g0", "g1", "g2", "g3", "others"}
	}
	s.WriteString("rules:\n")
	for _, c := range []string{"c1", "c2", "c3"} {
		if next()%2 == 1 {
			fmt.Fprintf(&s, "  %s: %s\n", c, fuzzRow(data, &at, cols, false))
		}
	}
	if next()%2 == 1 {
		fmt.Fprintf(&s, "default: %s\n", fuzzRow(data, &at, cols, false))
	}
	return t.String(), s.String()
}

// strictness orders decisions as the verdicts do: allow < warn <
// permission < block.
func strictness(d policy.Decision) int {
	switch {
	case d.Verdict == policy.Block && d.NeedsPermission:
		return 2
	case d.Verdict == policy.Block:
		return 3
	}
	return int(d.Verdict)
}

// FuzzCompose composes random small trust and school tables and checks
// the invariant with the real engine: for every host outside the
// relaxable category, every set of groups and every half hour of the
// week, the composed verdict is never less strict than the trust's.
func FuzzCompose(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 1, 1, 1, 1, 4, 4, 4, 4, 4, 4})
	f.Add([]byte{3, 5, 5, 5, 5, 0, 0, 0, 2, 1, 1, 1, 1, 1, 1, 1, 7, 7, 7, 7, 1, 1, 1, 9, 9, 9, 9, 9})
	f.Add([]byte{1, 4, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 1, 4, 4, 4, 4, 1, 0, 0, 0, 0, 0, 1, 4, 4, 4, 4, 4})
	dir := f.TempDir()
	for i, body := range []string{"c0.example\nboth.example\n", "c1.example\n", "c2.example\nboth.example\n", "c3.example\nboth.example\n"} {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("c%d.txt", i)), []byte(body), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	hosts := []string{"c0.example", "c2.example", "c3.example", "both.example", "none.example"}
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		trustYAML, schoolYAML := fuzzPolicies(data)
		trust, err := config.Parse("trust.yaml", filepath.Join(dir, "trust.yaml"), []byte(trustYAML))
		if err != nil {
			t.Fatalf("trust: %v\n%s", err, trustYAML)
		}
		school, err := config.Parse("school.yaml", filepath.Join(dir, "school.yaml"), []byte(schoolYAML))
		if err != nil {
			t.Fatalf("school: %v\n%s", err, schoolYAML)
		}
		composed, err := config.Compose(trust, school, "school-a")
		if err != nil {
			if !errors.Is(err, config.ErrRelaxed) {
				t.Fatalf("refused for another reason: %v\n%s\n%s", err, trustYAML, schoolYAML)
			}
			return
		}
		ts, err := policy.Compile(trust, policy.Options{})
		if err != nil {
			return // a trust table the engine refuses (e.g. permission in a row it locks)
		}
		cs, err := policy.Compile(composed, policy.Options{})
		if err != nil {
			t.Fatalf("the composition does not compile: %v\n%s\n%s", err, trustYAML, schoolYAML)
		}
		for mask := 0; mask < 16; mask++ {
			var names []string
			for g := 0; g < 4; g++ {
				if mask&(1<<g) != 0 {
					names = append(names, fmt.Sprintf("g%d", g))
				}
			}
			tg, cg := ts.GroupSet(names), cs.GroupSet(names)
			if tg.Empty() {
				tg = ts.DefaultGroup()
			}
			if cg.Empty() {
				cg = cs.DefaultGroup()
			}
			for _, h := range hosts {
				for m := 0; m < 7*48; m++ {
					at := monday.Add(time.Duration(m) * 30 * time.Minute)
					td := ts.Decide(&policy.Query{Host: h, Groups: tg, At: at})
					cd := cs.Decide(&policy.Query{Host: h, Groups: cg, At: at})
					if strictness(cd) < strictness(td) {
						t.Fatalf("%s for groups %v at %s: composed %v < trust %v\ntrust:\n%s\nschool:\n%s", h, names, at.Format("Mon 15:04"), cd.Verdict, td.Verdict, trustYAML, schoolYAML)
					}
				}
			}
		}
	})
}
