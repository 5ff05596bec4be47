package report

// The anonymity rules, in one place: every count the report prints goes
// through Suppress or SuppressGrid.
//
//  1. Primary: a count from 1 to 4 shows as "fewer than 5" (0 shows).
//  2. Complementary: a table's figures (its rows and its total) must not
//     let anyone subtract their way to a suppressed one. Along each line
//     (the rows with their total), when the total is shown the suppressed
//     rows add up to total − the shown rows; so at least two rows must be
//     suppressed and together they must come to 5 or more. Until they do,
//     the smallest non-zero shown row is withheld too, and when none is
//     left, the total. And a suppressed total (withheld for another
//     line's sake) must not be the sum of shown rows: one is withheld.
//
// A grid (categories by week) has a line per row and per column, with the
// row totals, the column totals and the grand total as one more line;
// they are checked again until nothing changes.

// Suppress applies the rules to one table: the counts of its rows and
// its total. The total need not be the sum of the rows (a row may count
// something twice): the rule is applied as if it were, which only
// suppresses more.
func Suppress(rows []int64, total int64) ([]Figure, Figure) {
	vals := append(append([]int64{}, rows...), total)
	member := make([]int, len(rows))
	for i := range member {
		member[i] = i
	}
	st := suppressLines(vals, []line{{member: member, total: len(rows)}})
	out := make([]Figure, len(rows))
	for i := range rows {
		out[i] = figure(vals[i], st[i])
	}
	return out, figure(total, st[len(rows)])
}

// Grid is a two-way table after suppression.
type Grid struct {
	Cells     [][]Figure // [row][column]
	RowTotals []Figure
	ColTotals []Figure
	Total     Figure
}

// SuppressGrid applies the rules to a two-way table: cells[row][column]
// (every row as long as the first), with the row, column and grand
// totals taken as their sums.
func SuppressGrid(cells [][]int64) Grid {
	nr := len(cells)
	nc := 0
	if nr > 0 {
		nc = len(cells[0])
	}
	// The values, flat: cells, then row totals, column totals, grand total.
	vals := make([]int64, nr*nc+nr+nc+1)
	cell := func(r, c int) int { return r*nc + c }
	rowT := func(r int) int { return nr*nc + r }
	colT := func(c int) int { return nr*nc + nr + c }
	grand := len(vals) - 1
	for r := range nr {
		for c := range nc {
			v := cells[r][c]
			vals[cell(r, c)] = v
			vals[rowT(r)] += v
			vals[colT(c)] += v
			vals[grand] += v
		}
	}
	var lines []line
	for r := range nr {
		l := line{total: rowT(r)}
		for c := range nc {
			l.member = append(l.member, cell(r, c))
		}
		lines = append(lines, l)
	}
	for c := range nc {
		l := line{total: colT(c)}
		for r := range nr {
			l.member = append(l.member, cell(r, c))
		}
		lines = append(lines, l)
	}
	rows := line{total: grand}
	for r := range nr {
		rows.member = append(rows.member, rowT(r))
	}
	cols := line{total: grand}
	for c := range nc {
		cols.member = append(cols.member, colT(c))
	}
	lines = append(lines, rows, cols)
	st := suppressLines(vals, lines)
	g := Grid{Cells: make([][]Figure, nr), RowTotals: make([]Figure, nr), ColTotals: make([]Figure, nc), Total: figure(vals[grand], st[grand])}
	for r := range nr {
		g.Cells[r] = make([]Figure, nc)
		for c := range nc {
			g.Cells[r][c] = figure(vals[cell(r, c)], st[cell(r, c)])
		}
		g.RowTotals[r] = figure(vals[rowT(r)], st[rowT(r)])
	}
	for c := range nc {
		g.ColTotals[c] = figure(vals[colT(c)], st[colT(c)])
	}
	return g
}

// line is a set of figures (indexes into the values) and their total.
type line struct {
	member []int
	total  int
}

// suppressLines marks each value shown, few or withheld.
func suppressLines(vals []int64, lines []line) []figureState {
	st := make([]figureState, len(vals))
	for i, v := range vals {
		if v > 0 && v < Threshold {
			st[i] = few
		}
	}
	for changed := true; changed; {
		changed = false
		for _, l := range lines {
			for protectLine(vals, st, l) {
				changed = true
			}
		}
	}
	return st
}

// protectLine withholds one more figure of l when its suppressed rows
// could be worked out from the shown total; it reports whether it did.
func protectLine(vals []int64, st []figureState, l line) bool {
	n, sum := 0, int64(0)
	for _, i := range l.member {
		if st[i] != shown {
			n++
			sum += vals[i]
		}
	}
	pick := -1
	for _, i := range l.member {
		if st[i] == shown && vals[i] > 0 && (pick < 0 || vals[i] < vals[pick]) {
			pick = i
		}
	}
	if st[l.total] != shown {
		// A suppressed total is the sum of its rows: one must be
		// suppressed too.
		if n > 0 || pick < 0 {
			return false
		}
		st[pick] = withheld
		return true
	}
	if n == 0 || (n >= 2 && sum >= Threshold) {
		return false
	}
	if pick < 0 {
		pick = l.total
	}
	st[pick] = withheld
	return true
}

// figure is a value as shown: a suppressed figure keeps no value.
func figure(v int64, s figureState) Figure {
	if s != shown {
		return Figure{state: s}
	}
	return Figure{n: v}
}
