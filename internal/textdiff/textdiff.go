// Package textdiff writes a unified diff of two texts (policy files: a
// few hundred lines), from their longest common subsequence of lines.
package textdiff

import (
	"fmt"
	"strings"
)

// context is how many unchanged lines surround each change.
const context = 3

// maxCells bounds the LCS table (lines × lines): past it, the diff is the
// whole of one file against the whole of the other.
const maxCells = 25_000_000

type op struct {
	kind byte // ' ', '-', '+'
	a, b int  // line numbers (0-based) in a and b
	text string
}

// Unified returns the unified diff of a and b, labelled with the two
// names, or "" when they are equal.
func Unified(nameA, nameB, a, b string) string {
	if a == b {
		return ""
	}
	la, lb := lines(a), lines(b)
	ops := script(la, lb)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(0, i-context)
		end := i
		// Extend the hunk while the next change is within 2×context.
		for j := i; j < len(ops); j++ {
			if ops[j].kind != ' ' {
				end = j + 1
				continue
			}
			if j-end >= 2*context {
				break
			}
		}
		end = min(len(ops), end+context)
		hunk := ops[start:end]
		var na, nb int
		for _, o := range hunk {
			if o.kind != '+' {
				na++
			}
			if o.kind != '-' {
				nb++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", span(hunk[0].a, na), span(hunk[0].b, nb))
		for _, o := range hunk {
			out.WriteByte(o.kind)
			out.WriteString(o.text)
			out.WriteByte('\n')
		}
		i = end
	}
	return out.String()
}

func span(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// script is the edit script turning a into b: common lines kept, the rest
// removed then added.
func script(a, b []string) []op {
	// Trim the common head and tail: most edits are small.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	var ops []op
	for i := 0; i < pre; i++ {
		ops = append(ops, op{' ', i, i, a[i]})
	}
	ops = append(ops, middle(ma, mb, pre)...)
	for k := 0; k < suf; k++ {
		i, j := len(a)-suf+k, len(b)-suf+k
		ops = append(ops, op{' ', i, j, a[i]})
	}
	return ops
}

func middle(a, b []string, off int) []op {
	var ops []op
	if len(a)*len(b) > maxCells {
		for i, s := range a {
			ops = append(ops, op{'-', off + i, off, s})
		}
		for j, s := range b {
			ops = append(ops, op{'+', off + len(a), off + j, s})
		}
		return ops
	}
	// lcs[i][j]: length of the LCS of a[i:] and b[j:].
	w := len(b) + 1
	lcs := make([]int32, (len(a)+1)*w)
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{' ', off + i, off + j, a[i]})
			i, j = i+1, j+1
		case j == len(b) || (i < len(a) && lcs[(i+1)*w+j] >= lcs[i*w+j+1]):
			ops = append(ops, op{'-', off + i, off + j, a[i]})
			i++
		default:
			ops = append(ops, op{'+', off + i, off + j, b[j]})
			j++
		}
	}
	return ops
}
