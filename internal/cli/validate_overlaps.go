package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"schoolgate/internal/policy"
)

// overlapsReport is `validate --overlaps --format json` (a contract: the
// console shows the same).
type overlapsReport struct {
	Total    int              `json:"total"`
	Shown    int              `json:"shown"`
	Overlaps []policy.Overlap `json:"overlaps"`
}

// writeOverlaps prints the entries several categories list whose rows
// answer some group differently, so a school sees where "most restrictive
// wins" overrides what it meant.
func writeOverlaps(w io.Writer, snap *policy.Snapshot, format string, limit int) error {
	total, list, err := snap.OverlapReport(limit)
	if err != nil {
		return err
	}
	if list == nil {
		list = []policy.Overlap{}
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(overlapsReport{Total: total, Shown: len(list), Overlaps: list})
	}
	out := bufio.NewWriter(w)
	fmt.Fprintf(out, "%d entries are in several categories whose rows differ for a group (the most restrictive cell wins; a scheduled cell counts at its strictest)\n", total)
	if total > 0 {
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ENTRY\tGROUP\tCELLS\tWINS")
		for _, o := range list {
			for _, g := range o.Groups {
				cells := make([]string, len(g.Cells))
				for i, c := range g.Cells {
					cells[i] = c.Category + ": " + c.Cell
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Entry, g.Group, strings.Join(cells, "; "), g.Wins)
			}
		}
		tw.Flush()
	}
	if more := total - len(list); more > 0 {
		fmt.Fprintf(out, "... and %d more (--limit %d; --limit 0 lists them all)\n", more, limit)
	}
	return out.Flush()
}
