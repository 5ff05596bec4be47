package console

import (
	"slices"
	"strconv"
)

// barChart is a horizontal bar chart drawn on the server as SVG: one row
// per label, bars scaled to the largest count.
type barChart struct {
	Title  string
	Width  int
	Height int
	LabelX int // where the labels end (right-aligned)
	BarX   int // where the bars start
	Bars   []bar
}

type bar struct {
	Label string
	Count string
	Y     int // top of the row
	TextY int
	W     int // bar length
	EndX  int // where the count is written
}

const (
	chartLabelW = 250 // "Child sexual abuse images" at 14px fits
	chartBarMax = 360
	chartRow    = 30
)

// newBarChart draws counts (label → count), largest first, at most max
// rows.
func newBarChart(title string, counts map[string]int64, max int) barChart {
	type kv struct {
		k string
		v int64
	}
	var rows []kv
	for k, v := range counts {
		if v > 0 {
			rows = append(rows, kv{k, v})
		}
	}
	slices.SortFunc(rows, func(a, b kv) int {
		if a.v != b.v {
			if a.v > b.v {
				return -1
			}
			return 1
		}
		if a.k < b.k {
			return -1
		}
		return 1
	})
	if len(rows) > max {
		rows = rows[:max]
	}
	c := barChart{Title: title, Width: chartLabelW + chartBarMax + 80, Height: len(rows)*chartRow + 4, LabelX: chartLabelW - 6, BarX: chartLabelW}
	if len(rows) == 0 {
		return c
	}
	top := rows[0].v
	for i, r := range rows {
		w := int(r.v * chartBarMax / top)
		if w < 2 {
			w = 2
		}
		y := i*chartRow + 2
		c.Bars = append(c.Bars, bar{Label: r.k, Count: strconv.FormatInt(r.v, 10), Y: y + 4, TextY: y + 19, W: w, EndX: chartLabelW + w + 6})
	}
	return c
}
