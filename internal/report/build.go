package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
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
	people, err := r.src.People(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: people: %w", err)
	}
	if err := r.incidents(ctx, rep, a.Site, p, people, safeguarding.IncidentCategories(cfg)); err != nil {
		return nil, err
	}
	if err := r.sanctions(ctx, rep, a.Site, p); err != nil {
		return nil, err
	}
	if err := r.blocked(ctx, rep, p, snap, loc); err != nil {
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

func (r *Reporter) incidents(ctx context.Context, rep *Report, site string, p Period, people []identity.User, cats []safeguarding.IncidentCategory) error {
	list, err := r.src.Incidents(ctx, site, p.From, p.To)
	if err != nil {
		return fmt.Errorf("report: incidents: %w", err)
	}
	years := make(map[string]string, len(people))
	for _, u := range people {
		years[u.Username] = u.YearGroup
	}
	byCat := map[string]int64{}
	stages := make([]int64, len(stageLabels))
	actions := map[string]int64{}
	for _, in := range list {
		// Only a category of the policy or the built-in list is named:
		// anything else is counted without its name.
		title := otherCategory
		if c, ok := safeguarding.IncidentCategoryNamed(cats, in.Category); ok {
			title = c.Title
		}
		byCat[title]++
		seen := map[int]bool{}
		for _, who := range in.People {
			st := stageUnknown
			if who.Username != "" {
				st = keyStage(who.Roles, years[who.Username])
			}
			if !seen[st] {
				seen[st] = true
				stages[st]++
			}
		}
		if len(in.People) == 0 {
			stages[stageUnknown]++
		}
		if len(in.Actions) == 0 {
			actions[actionNone]++
		}
		for _, k := range in.Actions {
			actions[actionLabel(k)]++
		}
	}
	total := int64(len(list))
	keys := sorted(byCat)
	rep.Incidents.ByCategory = table("Incidents by category", keys, values(byCat, keys), total, false)
	rep.Incidents.ByStage = table("Incidents by key stage", stageLabels, stages, total, true)
	rep.Incidents.ByStage.Note = "An incident involving people from more than one group is counted once in each."
	keys = sorted(actions)
	rep.Incidents.ByAction = table("Incidents by action taken", keys, values(actions, keys), total, false)
	rep.Incidents.ByAction.Note = "An incident with more than one kind of action is counted once under each."
	return nil
}

const (
	actionNone    = "No action recorded yet"
	otherCategory = "Other (a category no longer in the policy)"
)

// actionLabel is an action kind in words; a sanction's kind (from the
// sanctions table) reads as it is, with its hyphens and underscores as
// spaces.
func actionLabel(kind string) string {
	switch kind {
	case ActionReferral:
		return "Referred (police, CEOP, designated officer or others)"
	case ActionRecorded:
		return "Action recorded by staff"
	}
	return kindWords(kind)
}

func kindWords(kind string) string {
	s := strings.NewReplacer("_", " ", "-", " ").Replace(kind)
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (r *Reporter) sanctions(ctx context.Context, rep *Report, site string, p Period) error {
	counts, err := r.src.Sanctions(ctx, site, p.From, p.To)
	if errors.Is(err, ErrNotRecorded) {
		rep.Sanctions = Table{Title: "Sanctions by kind", NotRecorded: "Sanctions are not recorded in Schoolgate yet: this section has no figures, not zero."}
		return nil
	}
	if err != nil {
		return fmt.Errorf("report: sanctions: %w", err)
	}
	var total int64
	labelled := map[string]int64{}
	for k, n := range counts {
		labelled[kindWords(k)] += n
		total += n
	}
	keys := sorted(labelled)
	rep.Sanctions = table("Sanctions by kind", keys, values(labelled, keys), total, false)
	return nil
}

func (r *Reporter) blocked(ctx context.Context, rep *Report, p Period, snap *policy.Snapshot, loc *time.Location) error {
	list, err := r.src.Blocked(ctx, p.From, p.To)
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

// roleOrder is the order of the coverage table.
var roleOrder = []identity.Role{identity.RolePupil, identity.RoleStaff, identity.RoleTeacher, identity.RoleTechnical,
	identity.RoleESafetyLead, identity.RoleDSL, identity.RoleSLT, identity.RoleGovernor, identity.RoleVisitor}

func (r *Reporter) aua(ctx context.Context, rep *Report, snap *policy.Snapshot, people []identity.User) error {
	cfg := snap.Config()
	rep.AUA.Note = "People with an acceptable-use agreement for one of their groups, and how many have accepted its current version. Someone with two roles counts under each."
	if len(cfg.AUA) == 0 {
		rep.AUA.Note = "The policy has no acceptable-use agreements (aua:)."
		return nil
	}
	list, err := r.src.Accepted(ctx)
	if err != nil {
		return fmt.Errorf("report: acceptable use: %w", err)
	}
	accepted := map[Acceptance]bool{}
	for _, a := range list {
		accepted[a] = true
	}
	type tally struct{ yes, no int64 }
	byRole := map[identity.Role]*tally{}
	for _, u := range people {
		if u.Disabled {
			continue
		}
		groups := identity.ResolveGroups(u.Groups, u.YearGroup, u.Roles, cfg.Identity)
		// The first agreement of the policy that one of their groups has.
		i := slices.IndexFunc(cfg.AUA, func(e config.Entry[config.AUA]) bool { return slices.Contains(groups, e.Name) })
		if i < 0 {
			continue
		}
		e := cfg.AUA[i]
		ok := accepted[Acceptance{Username: u.Username, Group: e.Name, Version: e.Value.Version}]
		for _, role := range u.Roles {
			t := byRole[role]
			if t == nil {
				t = &tally{}
				byRole[role] = t
			}
			if ok {
				t.yes++
			} else {
				t.no++
			}
		}
	}
	for _, role := range roleOrder {
		t := byRole[role]
		if t == nil {
			continue
		}
		figs, people := Suppress([]int64{t.yes, t.no}, t.yes+t.no)
		row := AUARole{Role: roleWords(role), Accepted: figs[0], Outstanding: figs[1], People: people}
		if !figs[0].Suppressed() && !people.Suppressed() && t.yes+t.no > 0 {
			row.Share = strconv.FormatInt(t.yes*100/(t.yes+t.no), 10) + "%"
		}
		rep.AUA.Rows = append(rep.AUA.Rows, row)
	}
	return nil
}

func roleWords(r identity.Role) string {
	switch r {
	case identity.RolePupil:
		return "Pupils"
	case identity.RoleStaff:
		return "Support staff"
	case identity.RoleTeacher:
		return "Teachers"
	case identity.RoleTechnical:
		return "Technical staff"
	case identity.RoleESafetyLead:
		return "E-safety leads"
	case identity.RoleDSL:
		return "Designated safeguarding leads"
	case identity.RoleSLT:
		return "Senior leadership"
	case identity.RoleGovernor:
		return "Governors"
	case identity.RoleVisitor:
		return "Visitors"
	}
	return string(r)
}

func (r *Reporter) checks(ctx context.Context, rep *Report, site string, p Period, loc *time.Location) error {
	list, err := r.src.Checks(ctx, site, p.From, p.To)
	if errors.Is(err, ErrNotRecorded) {
		rep.Checks = ChecksSection{NotRecorded: "Filtering checks and reviews are not recorded in Schoolgate yet: this section has no figures, not zero."}
		return nil
	}
	if err != nil {
		return fmt.Errorf("report: checks: %w", err)
	}
	var passedHand, failedHand, passedAuto, failedAuto, reviews int64
	var last time.Time
	for _, c := range list {
		switch {
		case c.Kind == "review":
			reviews++
			if c.At.After(last) {
				last = c.At
			}
		case c.Measured && c.Passed:
			passedAuto++
		case c.Measured:
			failedAuto++
		case c.Passed:
			passedHand++
		default:
			failedHand++
		}
	}
	rep.Checks.Checks = table("Filtering checks", []string{"Recorded by hand: as expected", "Recorded by hand: found a problem",
		"Self-test (measured): as expected", "Self-test (measured): found a problem"},
		[]int64{passedHand, failedHand, passedAuto, failedAuto}, passedHand+failedHand+passedAuto+failedAuto, true)
	_, rep.Checks.Reviews = Suppress(nil, reviews)
	if !last.IsZero() {
		rep.Checks.LastReview = last.In(loc).Format("2 January 2006")
	}
	return nil
}
