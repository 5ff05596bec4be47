package report

// Chart is the weekly chart's drawing, in points from the top left: one
// row per category, one column per week, a bar per cell scaled to the
// row's busiest week. The console draws it as SVG and the PDF with its
// own primitives, from the same shapes.
type Chart struct {
	Width, Height float64
	Texts         []ChartText
	Bars          []ChartBar
	Rules         []ChartRule
}

// ChartText is a label; Anchor is start, middle or end (SVG's words).
type ChartText struct {
	X, Y   float64
	Text   string
	Anchor string
	Size   float64
}

// ChartBar is one cell. A suppressed cell has no height of its own: it
// is drawn as a hollow marker at the foot of the row.
type ChartBar struct {
	X, Y, W, H float64
	Suppressed bool
}

// ChartRule is a thin line (the rows' baselines).
type ChartRule struct{ X1, Y1, X2, Y2 float64 }

// Chart geometry.
const (
	chartWidth  = 515.0
	chartLabelW = 150.0
	chartTotalW = 60.0
	chartRowH   = 26.0
	chartBarH   = 20.0
	chartHead   = 16.0
	chartFoot   = 36.0
	chartFont   = 7.5
)

// Chart lays the weekly grid out.
func (w Weekly) Chart() Chart {
	c := Chart{Width: chartWidth, Height: chartHead + float64(len(w.Rows))*chartRowH + chartFoot}
	n := len(w.Weeks)
	if n == 0 || len(w.Rows) == 0 {
		c.Height = chartHead + chartFoot
		c.Texts = append(c.Texts, ChartText{X: chartLabelW, Y: chartHead + 10, Text: "No blocked attempts in this period.", Anchor: "start", Size: 9})
		return c
	}
	colW := (chartWidth - chartLabelW - chartTotalW) / float64(n)
	barW := colW * 0.7
	c.Texts = append(c.Texts, ChartText{X: chartWidth, Y: chartHead - 5, Text: "Term total", Anchor: "end", Size: chartFont})
	for i, row := range w.Rows {
		top := chartHead + float64(i)*chartRowH
		base := top + chartRowH - 3
		c.Texts = append(c.Texts,
			ChartText{X: chartLabelW - 6, Y: base - 5, Text: clip(row.Label, 34), Anchor: "end", Size: 8.5},
			ChartText{X: chartWidth, Y: base - 5, Text: row.Total.String(), Anchor: "end", Size: 8.5})
		c.Rules = append(c.Rules, ChartRule{X1: chartLabelW, Y1: base, X2: chartWidth - chartTotalW, Y2: base})
		var top1 int64
		for _, f := range row.Weeks {
			if v, ok := f.Shown(); ok && v > top1 {
				top1 = v
			}
		}
		for j, f := range row.Weeks {
			x := chartLabelW + float64(j)*colW + (colW-barW)/2
			if f.Suppressed() {
				c.Bars = append(c.Bars, ChartBar{X: x, Y: base - 4, W: barW, H: 4, Suppressed: true})
				continue
			}
			v, _ := f.Shown()
			if v == 0 || top1 == 0 {
				continue
			}
			h := chartBarH * float64(v) / float64(top1)
			c.Bars = append(c.Bars, ChartBar{X: x, Y: base - h, W: barW, H: h})
		}
	}
	foot := chartHead + float64(len(w.Rows))*chartRowH
	step := 1
	if n > 10 {
		step = 2
	}
	for j := 0; j < n; j += step {
		c.Texts = append(c.Texts, ChartText{X: chartLabelW + (float64(j)+0.5)*colW, Y: foot + 10, Text: w.Weeks[j].Format("2 Jan"), Anchor: "middle", Size: chartFont})
	}
	c.Texts = append(c.Texts,
		ChartText{X: chartLabelW, Y: foot + 21, Anchor: "start", Size: chartFont, Text: "Weeks start on Monday; each row is scaled to its own busiest week."},
		ChartText{X: chartLabelW, Y: foot + 30, Anchor: "start", Size: chartFont, Text: "A hollow mark: fewer than 5, or withheld."})
	return c
}

// clip shortens a label to n runes.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
