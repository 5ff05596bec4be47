// Command chart draws BENCHMARKS.md's figures as one SVG of horizontal bar
// panels: one panel per comparison, Schoolgate beside its peers measured on
// the same machine in the same run.
//
//	go run ./bench/chart -in bench/results.tsv -out docs/benchmarks.svg
//
// The input is tab-separated: panel, label, value, unit, and "better"
// (higher or lower), one bar a line; lines starting with # are comments.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"strconv"
	"strings"
)

type bar struct {
	label string
	value float64
}

type panel struct {
	title, unit, better string
	bars                []bar
}

func main() {
	in := flag.String("in", "bench/results.tsv", "results (panel, label, value, unit, better)")
	out := flag.String("out", "docs/benchmarks.svg", "SVG to write")
	flag.Parse()
	panels, err := read(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
	defer f.Close()
	draw(f, panels)
}

func read(path string) ([]*panel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var panels []*panel
	byTitle := map[string]*panel{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := strings.Split(line, "\t")
		if len(p) != 5 {
			return nil, fmt.Errorf("%s:%d: want 5 tab-separated fields, got %d", path, n, len(p))
		}
		v, err := strconv.ParseFloat(p[2], 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: value %q: %w", path, n, p[2], err)
		}
		pn := byTitle[p[0]]
		if pn == nil {
			pn = &panel{title: p[0], unit: p[3], better: p[4]}
			byTitle[p[0]] = pn
			panels = append(panels, pn)
		}
		pn.bars = append(pn.bars, bar{p[1], v})
	}
	return panels, sc.Err()
}

func draw(w io.Writer, panels []*panel) {
	const width, labelW, barH, gap, titleH = 760, 230, 22, 6, 34
	height := 20
	for _, p := range panels {
		height += titleH + len(p.bars)*(barH+gap) + 14
	}
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="13">`+"\n", width, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	y := 20
	for _, p := range panels {
		fmt.Fprintf(w, `<text x="10" y="%d" font-weight="bold">%s <tspan font-weight="normal" fill="#555">(%s, %s is better)</tspan></text>`+"\n", y+16, html.EscapeString(p.title), html.EscapeString(p.unit), p.better)
		y += titleH
		maxV := 0.0
		for _, b := range p.bars {
			maxV = max(maxV, b.value)
		}
		for i, b := range p.bars {
			l := 0.0
			if maxV > 0 {
				l = b.value / maxV * float64(width-labelW-110)
			}
			color := "#9aa5b1"
			if i == 0 {
				color = "#2b7a4b" // Schoolgate first
			}
			fmt.Fprintf(w, `<text x="10" y="%d">%s</text>`+"\n", y+15, html.EscapeString(b.label))
			fmt.Fprintf(w, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", labelW, y, l, barH, color)
			fmt.Fprintf(w, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(labelW)+l+6, y+15, format(b.value))
			y += barH + gap
		}
		y += 14
	}
	fmt.Fprintln(w, "</svg>")
}

func format(v float64) string {
	switch {
	case v >= 10000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
