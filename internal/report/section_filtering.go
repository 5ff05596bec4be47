package report

import (
	"context"
	"fmt"
	"time"

	"schoolgate/internal/policy"
)

// The blocked attempts and filtering changes sections.

func (r *Reporter) blocked(ctx context.Context, rep *Report, site string, p Period, snap *policy.Snapshot, loc *time.Location) error {
	list, err := r.src.Blocked(ctx, site, p.From, p.To)
	if err != nil {
		return fmt.Errorf("report: blocked attempts: %w", err)
	}
	// Weeks start on Monday, in the site's time zone.
	start := p.From.In(loc)
	start = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, loc)
	start = start.AddDate(0, 0, -((int(start.Weekday()) + 6) % 7))
	var weeks []time.Time
	for w := start; w.Before(p.To); w = w.AddDate(0, 0, 7) {
		weeks = append(weeks, w)
	}
	byCat := map[string][]int64{}
	totals := map[string]int64{}
	for _, at := range list {
		title := categoryTitle(snap, at.Category)
		if byCat[title] == nil {
			byCat[title] = make([]int64, len(weeks))
		}
		day := time.Date(at.Day.Year(), at.Day.Month(), at.Day.Day(), 0, 0, 0, 0, loc)
		w := int(day.Sub(start).Hours()+12) / (7 * 24) // +12h: a clock change is not a day
		w = min(max(w, 0), len(weeks)-1)
		byCat[title][w] += at.Count
		totals[title] += at.Count
	}
	keys := sorted(totals)
	if len(keys) > maxChartRows {
		other := make([]int64, len(weeks))
		for _, k := range keys[maxChartRows-1:] {
			for i, n := range byCat[k] {
				other[i] += n
			}
		}
		keys = append(keys[:maxChartRows-1], "Other blocked categories")
		byCat["Other blocked categories"] = other
	}
	cells := make([][]int64, len(keys))
	for i, k := range keys {
		cells[i] = byCat[k]
	}
	g := SuppressGrid(cells)
	wk := Weekly{Weeks: weeks, WeekTotals: g.ColTotals, Total: g.Total}
	cat := Table{Title: "Attempts on blocked categories", Total: g.Total,
		Note: "Each attempt blocked by the filter, counted once under each of its categories."}
	for i, k := range keys {
		wk.Rows = append(wk.Rows, WeekRow{Label: k, Weeks: g.Cells[i], Total: g.RowTotals[i]})
		cat.Rows = append(cat.Rows, Row{Label: k, Count: g.RowTotals[i]})
	}
	rep.Blocked = BlockedSection{ByCategory: cat, Weekly: wk}
	return nil
}

// categoryTitle is a filter category's title in the policy, else its
// name.
func categoryTitle(snap *policy.Snapshot, name string) string {
	if name == "" {
		return "(no category)"
	}
	if i, ok := snap.CategoryIndex(name); ok && snap.CategoryTitle(i) != "" {
		return snap.CategoryTitle(i)
	}
	return name
}

func (r *Reporter) changes(ctx context.Context, rep *Report, p Period, snap *policy.Snapshot) error {
	c, err := r.src.Changes(ctx, p.From, p.To)
	if err != nil {
		return fmt.Errorf("report: filtering changes: %w", err)
	}
	rep.Changes.Requests = table("Unblock requests decided", []string{"Approved", "Declined"},
		[]int64{c.RequestsApproved, c.RequestsDeclined}, c.RequestsApproved+c.RequestsDeclined, true)
	rep.Changes.Exceptions = table("Exceptions added by staff", []string{"Unblocks (from requests or made directly)", "Grants of a permission for a while"},
		[]int64{c.Unblocks, c.Grants}, c.Unblocks+c.Grants, true)
	n := int64(len(c.PolicyChanges))
	rep.Changes.PolicyChanges = table("Changes to the policy file", []string{"Policy changes put in force"}, []int64{n}, n, true)
	for _, e := range snap.Config().Exceptions {
		rep.Changes.PolicyExceptions = append(rep.Changes.PolicyExceptions, PolicyException{Verdict: e.Verdict, Hosts: len(e.Hosts),
			Groups: e.Groups, Until: e.Until, Reason: e.Reason})
	}
	return nil
}
