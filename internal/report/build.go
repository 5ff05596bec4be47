package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"schoolgate/internal/policy"
	"schoolgate/internal/safeguarding"
)

// Options build a Reporter.
type Options struct {
	Sources Sources
	// Snapshot is the policy in force: the site, its time zone, the
	// categories' titles, the exceptions and agreements.
	Snapshot func() *policy.Snapshot
	Now      func() time.Time
}

// Reporter makes governors' reports.
type Reporter struct {
	src  Sources
	snap func() *policy.Snapshot
	now  func() time.Time
}

// New makes a Reporter.
func New(opt Options) *Reporter {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Reporter{src: opt.Sources, snap: opt.Snapshot, now: opt.Now}
}

// Location is the site's time zone, for reading periods.
func (r *Reporter) Location() *time.Location {
	if loc := r.snap().Location(); loc != nil {
		return loc
	}
	return time.UTC
}

// maxChartRows: the chart's categories beyond these are added up as one.
const maxChartRows = 8

// Governors computes the report of the actor's site for p. It needs the
// governors' report capability.
func (r *Reporter) Governors(ctx context.Context, a safeguarding.Actor, p Period) (*Report, error) {
	if !safeguarding.Can(a.Roles, safeguarding.GovernorsReport) {
		return nil, &safeguarding.ForbiddenError{Actor: a, Capability: safeguarding.GovernorsReport}
	}
	if a.Site == "" {
		return nil, fmt.Errorf("report: %w: which site?", ErrPeriod)
	}
	snap := r.snap()
	cfg := snap.Config()
	loc := r.Location()
	rep := &Report{School: cfg.Site.Name, Period: p.Name, From: p.From.In(loc), To: p.To.In(loc), Generated: r.now().In(loc)}
	rep.Dates = rep.From.Format("2 January 2006") + " to " + rep.To.Add(-time.Nanosecond).Format("2 January 2006")
	if rep.School == "" {
		rep.School = a.Site
	}
	people, err := r.src.People(ctx, a.Site)
	if err != nil {
		return nil, fmt.Errorf("report: people: %w", err)
	}
	if err := r.incidents(ctx, rep, a.Site, p, people, safeguarding.IncidentCategories(cfg)); err != nil {
		return nil, err
	}
	if err := r.sanctions(ctx, rep, a.Site, p); err != nil {
		return nil, err
	}
	if err := r.blocked(ctx, rep, a.Site, p, snap, loc); err != nil {
		return nil, err
	}
	if err := r.changes(ctx, rep, p, snap); err != nil {
		return nil, err
	}
	if err := r.aua(ctx, rep, snap, people); err != nil {
		return nil, err
	}
	if err := r.checks(ctx, rep, a.Site, p, loc); err != nil {
		return nil, err
	}
	return rep, nil
}

// table suppresses labelled counts into a table, dropping zero rows
// unless keepZero.
func table(title string, labels []string, counts []int64, total int64, keepZero bool) Table {
	var ls []string
	var cs []int64
	for i, l := range labels {
		if counts[i] != 0 || keepZero {
			ls, cs = append(ls, l), append(cs, counts[i])
		}
	}
	figs, tot := Suppress(cs, total)
	t := Table{Title: title, Rows: make([]Row, len(ls)), Total: tot}
	for i := range ls {
		t.Rows[i] = Row{Label: ls[i], Count: figs[i]}
	}
	return t
}

// sorted is a count map's keys, largest count first, then by name.
func sorted(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	return keys
}

func values(m map[string]int64, keys []string) []int64 {
	out := make([]int64, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}
