package console

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// chronologyEvents caps the activity events of one chronology.
const chronologyEvents = 2000

// chronologyView is one person's timeline by day, oldest first.
type chronologyView struct {
	Person    string
	Since     string
	Until     string
	Days      []chronologyDay
	Truncated bool
	Error     string
}

type chronologyDay struct {
	Date  string
	Items []chronologyItem
}

// chronologyItem is one line: an event, a request, a grant, an
// acceptance or a concern.
type chronologyItem struct {
	When   time.Time
	Kind   string // activity, request, grant, aua, concern
	Mark   string // "block" or "search": highlighted
	Host   string
	Detail string
	Link   string
	Key    string // an activity event's eventKey: to link it to an incident
}

func (v chronologyView) title() string { return "Chronology of " + v.Person }

// chronologyShow is a person's activity by day, with blocks and searches
// highlighted, and their requests, grants, acceptances and concerns in
// the same timeline; printable. Default: the last seven days. Audited as
// a view of user:NAME; a member of staff's needs ViewNamedStaffActivity.
func (c *Console) chronologyShow(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	loc := c.location()
	person := r.PathValue("username")
	if err := store.CheckUsername(person); err != nil {
		http.NotFound(w, r)
		return
	}
	if _, err := c.st.GetUserIn(ctx, v.actor.Site, person); errors.Is(err, store.ErrNotFound) {
		// Another school's person (or nobody): not found from here.
		http.NotFound(w, r)
		return
	} else if err != nil {
		c.fail(w, r, v, err)
		return
	}
	view := chronologyView{Person: person, Since: r.URL.Query().Get("since"), Until: r.URL.Query().Get("until")}
	rule := c.rowRule(v)
	if ok, err := rule.allows(ctx, person); err != nil {
		c.fail(w, r, v, err)
		return
	} else if !ok {
		c.refuseNamed(w, r, v, person)
		return
	}
	local := c.now().In(loc)
	since := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -6)
	until := since.AddDate(0, 0, 7)
	var err error
	if view.Since != "" {
		if since, err = parseLocal("from", view.Since, loc); err != nil {
			view.Error = err.Error()
		}
	}
	if view.Until != "" && err == nil {
		if until, err = parseLocal("to", view.Until, loc); err != nil {
			view.Error = err.Error()
		}
	}
	if err == nil && !until.After(since) {
		view.Error = fmt.Sprintf("the end (%s) is not after the start (%s)", until.Format(time.DateOnly), since.Format(time.DateOnly))
	}
	if view.Error != "" {
		c.render(w, r, http.StatusUnprocessableEntity, "chronology", v, view)
		return
	}
	view.Since, view.Until = since.In(loc).Format("2006-01-02 15:04"), until.In(loc).Format("2006-01-02 15:04")
	if err := c.auditVisit(r, v, "console.chronology.view", "user:"+person, map[string]any{"since": view.Since, "until": view.Until}); err != nil {
		c.fail(w, r, v, err)
		return
	}
	var items []chronologyItem
	f := store.ActivityFilter{User: person, Since: since, Until: until, Limit: chronologyEvents + 1}
	err = c.st.SearchActivity(ctx, v.actorStore(), f, func(e activity.Event) error {
		items = append(items, eventItem(e))
		return nil
	})
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	if len(items) > chronologyEvents {
		items, view.Truncated = items[:chronologyEvents], true
	}
	rec, err := c.st.Person(ctx, person, since, until)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	items = append(items, recordItems(rec, safeguarding.Can(v.user.Roles, safeguarding.ReadConcerns))...)
	sanctions, err := c.sanctionItems(ctx, v, person, since, until)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	items = append(items, sanctions...)
	incidents, err := c.incidentItems(ctx, v, person, since, until)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	items = append(items, incidents...)
	slices.SortStableFunc(items, func(a, b chronologyItem) int { return a.When.Compare(b.When) })
	for _, it := range items {
		it.When = it.When.In(loc)
		d := it.When.Format("Monday 2 January 2006")
		if n := len(view.Days); n == 0 || view.Days[n-1].Date != d {
			view.Days = append(view.Days, chronologyDay{Date: d})
		}
		day := &view.Days[len(view.Days)-1]
		day.Items = append(day.Items, it)
	}
	c.render(w, r, http.StatusOK, "chronology", v, view)
}

func eventItem(e activity.Event) chronologyItem {
	it := chronologyItem{When: e.Time, Kind: "activity", Host: e.Host, Key: eventKey(e)}
	parts := []string{e.Verdict, "(" + string(e.Point) + ")"}
	if len(e.Categories) > 0 {
		parts = append(parts, strings.Join(e.Categories, ", "))
	}
	if e.Action != "" {
		parts = append(parts, e.Action)
	}
	if e.Ref != "" {
		parts = append(parts, "ref "+e.Ref)
	}
	switch {
	case e.Search != "":
		it.Mark = "search"
		parts = append(parts, "searched for “"+e.Search+"”")
	case e.Verdict == "block":
		it.Mark = "block"
	}
	it.Detail = strings.Join(parts, " · ")
	return it
}

// recordItems are the person's records as lines; a concern's text and
// link only for a role that reads concerns (the others see that one was
// raised).
func recordItems(p store.PersonRecord, concerns bool) []chronologyItem {
	var out []chronologyItem
	for _, q := range p.Requests {
		out = append(out, chronologyItem{When: q.Created, Kind: "request", Host: q.Host, Detail: "asked: “" + q.Reason + "” · " + q.Status})
	}
	for _, g := range p.Grants {
		what := g.Target
		if what == "" {
			what = g.Category
		}
		out = append(out, chronologyItem{When: g.Created, Kind: "grant", Host: what,
			Detail: fmt.Sprintf("%s %s by %s until %s: %s", g.Kind, g.Verdict, g.By, g.Until.Format("2006-01-02 15:04"), g.Reason)})
	}
	for _, a := range p.Acceptances {
		out = append(out, chronologyItem{When: a.AcceptedAt, Kind: "aua", Detail: "accepted the acceptable-use agreement " + a.Version})
	}
	for _, k := range p.Concerns {
		it := chronologyItem{When: k.Created, Kind: "concern", Host: k.Host, Detail: "raised a concern (reading it needs the esafety-lead or dsl role)"}
		if concerns {
			it.Detail, it.Link = "raised a concern: “"+k.Text+"”", fmt.Sprintf("/concerns/%d", k.ID)
		}
		out = append(out, it)
	}
	return out
}
