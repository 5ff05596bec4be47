package report

import (
	"encoding/json"
	"slices"
	"testing"
)

// text prints figures as the report does.
func text(fs ...Figure) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.String()
	}
	return out
}

func TestSuppress(t *testing.T) {
	const f, w = "fewer than 5", "withheld"
	for _, tc := range []struct {
		name  string
		rows  []int64
		total int64
		want  []string // rows then total
	}{
		{"nothing small", []int64{12, 7, 0}, 19, []string{"12", "7", "0", "19"}},
		{"empty", nil, 0, []string{"0"}},
		{"every small count", []int64{1, 2, 3, 4}, 10, []string{f, f, f, f, "10"}},
		{"one small row: the smallest other row is withheld", []int64{3, 40, 9}, 52, []string{f, "40", w, "52"}},
		{"two small rows summing under 5: one more", []int64{2, 2, 30, 6}, 40, []string{f, f, "30", w, "40"}},
		{"two small rows summing to 5 or more", []int64{4, 3, 30}, 37, []string{f, f, "30", "37"}},
		{"one small row, the others zero: the total is small too", []int64{3, 0, 0}, 3, []string{f, "0", "0", f}},
		{"one small row beside a large one only: the total goes", []int64{4, 0}, 4, []string{f, "0", f}},
		{"small total hides every row", []int64{1, 1}, 2, []string{f, f, f}},
		{"zeros are not picked to protect", []int64{2, 0, 8}, 10, []string{f, "0", w, "10"}},
		{"one row only: the total is withheld", []int64{3}, 9, []string{f, w}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, total := Suppress(tc.rows, tc.total)
			got := append(text(rows...), total.String())
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Suppress(%v, %d) = %q, want %q", tc.rows, tc.total, got, tc.want)
			}
		})
	}
}

// TestSuppressNoSubtraction checks the property the rules exist for, over
// many tables: from the shown figures, no suppressed row's value can be
// worked out as the shown total minus the shown rows.
func TestSuppressNoSubtraction(t *testing.T) {
	for a := range int64(8) {
		for b := range int64(8) {
			for c := range int64(12) {
				rows := []int64{a, b, c}
				figs, total := Suppress(rows, a+b+c)
				tot, ok := total.Shown()
				if !ok {
					continue
				}
				var hidden []int
				for i, f := range figs {
					if v, ok := f.Shown(); ok {
						tot -= v
					} else {
						hidden = append(hidden, i)
					}
				}
				if len(hidden) == 1 {
					t.Errorf("%v: row %d can be worked out as %d", rows, hidden[0], tot)
				}
				if len(hidden) > 1 && tot < Threshold {
					t.Errorf("%v: the suppressed rows %v add up to %d, which is itself small", rows, hidden, tot)
				}
			}
		}
	}
}

func TestSuppressGrid(t *testing.T) {
	// Two categories by three weeks. The 3 in row 0 makes row 0 withhold
	// its next smallest cell (6); then column 1 (3, 2) and column 2 (6,
	// 9) and the column totals follow until each line is safe.
	g := SuppressGrid([][]int64{
		{3, 20, 6},
		{10, 2, 9},
	})
	check := func(what string, f Figure, want string) {
		t.Helper()
		if f.String() != want {
			t.Errorf("%s = %s, want %s", what, f, want)
		}
	}
	check("cell 0,0", g.Cells[0][0], "fewer than 5")
	check("cell 1,1", g.Cells[1][1], "fewer than 5")
	check("grand total", g.Total, "50")
	// Each line with a shown total has no single suppressed figure.
	lines := [][]Figure{g.Cells[0], g.Cells[1], {g.Cells[0][0], g.Cells[1][0]}, {g.Cells[0][1], g.Cells[1][1]}, {g.Cells[0][2], g.Cells[1][2]}, g.RowTotals, g.ColTotals}
	totals := []Figure{g.RowTotals[0], g.RowTotals[1], g.ColTotals[0], g.ColTotals[1], g.ColTotals[2], g.Total, g.Total}
	for i, l := range lines {
		n := 0
		for _, f := range append(l, totals[i]) {
			if f.Suppressed() {
				n++
			}
		}
		if n == 1 {
			t.Errorf("line %d: one suppressed figure, the rest shown: %q (total %s)", i, text(l...), totals[i])
		}
	}
}

// A row whose total is withheld for the rows' line must not show every
// week: the weeks would add up to it (and the grand total less the shown
// rows to the small one).
func TestSuppressGridWithheldTotal(t *testing.T) {
	g := SuppressGrid([][]int64{
		{30, 40, 50},
		{20, 25, 30},
		{1, 0, 0},
	})
	if !g.RowTotals[2].Suppressed() || !g.RowTotals[1].Withheld() {
		t.Fatalf("row totals %q: the 1 and the next smallest go", text(g.RowTotals...))
	}
	hidden := 0
	for _, f := range g.Cells[1] {
		if f.Suppressed() {
			hidden++
		}
	}
	if hidden == 0 {
		t.Fatalf("row 1 %q adds up to its withheld total", text(g.Cells[1]...))
	}
}

func TestFigureJSON(t *testing.T) {
	rows, total := Suppress([]int64{2, 30, 40}, 72)
	b, err := json.Marshal(map[string]any{"rows": rows, "total": total})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"rows":["fewer than 5","withheld",40],"total":72}`; got != want {
		t.Fatalf("JSON = %s, want %s", got, want)
	}
	if v, ok := rows[0].Shown(); ok || v != 0 {
		t.Fatalf("a suppressed figure gives (%d, %v): its value must be gone", v, ok)
	}
}
