package console

import (
	"net/http"
	"time"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// dashboardView is the front page: counts without names, for every role.
type dashboardView struct {
	Today, Week periodCounts
	BlocksToday barChart
	BlocksWeek  barChart
	Pending     int
	CanDecide   bool
	CanGrant    bool
	Generated   time.Time
	WeekFrom    time.Time
	Safe        safeguardingTiles
	Checks      checksTile
}

type periodCounts struct {
	Queries, Blocks int64
}

func (dashboardView) title() string { return "Dashboard" }

// dashboard counts today's and the last seven days' queries and blocks
// (by category, as charts) and the pending requests. Nothing on it
// names a person: it is the same for a governor as for the DSL.
func (c *Console) dashboard(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	now := c.now()
	loc := c.location()
	local := now.In(loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	weekFrom := midnight.AddDate(0, 0, -6)
	view := dashboardView{Generated: local, WeekFrom: weekFrom,
		CanDecide: safeguarding.Can(v.user.Roles, safeguarding.DecideRequests),
		CanGrant:  safeguarding.Can(v.user.Roles, safeguarding.GrantPermission)}
	// The current hour counts too: until is exclusive, at an hour.
	until := now.Add(time.Hour)
	for _, p := range []struct {
		since  time.Time
		counts *periodCounts
		chart  *barChart
		title  string
	}{
		{midnight, &view.Today, &view.BlocksToday, "Blocks by category today"},
		{weekFrom, &view.Week, &view.BlocksWeek, "Blocks by category, last 7 days"},
	} {
		rows, err := c.st.Counts(ctx, v.actor.Site, p.since, until, []string{"category", "verdict"})
		if err != nil {
			c.fail(w, r, v, err)
			return
		}
		byCat := map[string]int64{}
		for _, row := range rows {
			p.counts.Queries += row.Count
			if row.Values[1] == "block" {
				p.counts.Blocks += row.Count
				cat := c.categoryTitle(row.Values[0])
				byCat[cat] += row.Count
			}
		}
		*p.chart = newBarChart(p.title, byCat, 12)
	}
	pending, err := c.st.ListRequests(ctx, v.actor.Site, store.StatusPending, 1000)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	view.Pending = len(pending)
	if view.Safe, err = c.safeguardingTiles(ctx, v, weekFrom, until); err != nil {
		c.fail(w, r, v, err)
		return
	}
	if view.Checks, err = c.checksTile(ctx, v); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "dashboard", v, view)
}

// categoryTitle is a category's title in the policy in force, else its
// name.
func (c *Console) categoryTitle(name string) string {
	if name == "" {
		return "(no category)"
	}
	snap := c.snap()
	if i, ok := snap.CategoryIndex(name); ok && snap.CategoryTitle(i) != "" {
		return snap.CategoryTitle(i)
	}
	return name
}
