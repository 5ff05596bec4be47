package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/store"
)

// activityPageSize is the events on one page of the search.
const activityPageSize = 50

// activityView is the search form, one page of events and the link to
// the next.
type activityView struct {
	Form       activityForm
	Rows       []activityRow
	Withheld   int // rows of people the visitor's roles may not see
	Next       string
	Export     string // the CSV export's address (the same filters)
	Searched   bool
	Error      string
	Verdicts   []string
	Categories []string
	Groups     []string
}

type activityRow struct {
	When       time.Time
	Who        string
	Client     string
	Host       string
	URL        string
	Categories string
	Verdict    string
	Source     string
	Search     string
	Action     string
	Ref        string
	Blocked    bool
	Key        string // eventKey: to link it to an incident
}

func (activityView) title() string { return "Activity" }

func toActivityRow(e activity.Event, loc *time.Location) activityRow {
	return activityRow{When: e.Time.In(loc), Who: e.User, Client: e.Client.String(), Host: e.Host, URL: e.URL,
		Categories: strings.Join(e.Categories, ", "), Verdict: e.Verdict, Source: string(e.Point), Search: e.Search,
		Action: e.Action, Ref: e.Ref, Blocked: e.Verdict == "block", Key: eventKey(e)}
}

// errStaffNamed: a search naming a member of staff by a role that may not
// read staff activity.
var errStaffNamed = errors.New("that person's activity needs the dsl or slt role")

// activityShow is the activity search, newest first, a page at a time.
// Every search is audited; one naming a person with object user:NAME.
func (c *Console) activityShow(w http.ResponseWriter, r *http.Request, v *visit) {
	form := readActivityForm(r.URL.Query())
	view := activityView{Form: form, Verdicts: []string{"allow", "warn", "block"}, Groups: c.snap().Groups()}
	for _, cat := range c.snap().Config().Categories {
		view.Categories = append(view.Categories, cat.Name)
	}
	if len(r.URL.Query()) == 0 {
		c.render(w, r, http.StatusOK, "activity", v, view)
		return
	}
	filter, err := form.Filter(c.location())
	if err != nil {
		view.Error = err.Error()
		c.render(w, r, http.StatusUnprocessableEntity, "activity", v, view)
		return
	}
	view.Searched = true
	view.Export = "/activity.csv?" + form.query().Encode()
	rule := c.rowRule(v)
	if ok, err := c.namedAllowed(r.Context(), rule, form.Person); err != nil {
		c.fail(w, r, v, err)
		return
	} else if !ok {
		c.refuseNamed(w, r, v, form.Person)
		return
	}
	events, next, err := c.activityPage(r.Context(), v, filter, activityPageSize)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	var names named
	for _, e := range events {
		ok, err := rule.allows(r.Context(), e.User)
		if err != nil {
			c.fail(w, r, v, err)
			return
		}
		if !ok {
			view.Withheld++
			continue
		}
		view.Rows = append(view.Rows, toActivityRow(e, c.location()))
		names.add(e.User)
	}
	// The page is shown only once its view is recorded, with the people
	// it names.
	if err := c.auditSearch(r, v, "console.activity.search", form, names.users); err != nil {
		c.fail(w, r, v, err)
		return
	}
	if !next.IsZero() {
		q := form.query()
		q.Set("before", strconv.FormatInt(next.UnixMicro(), 10))
		view.Next = "/activity?" + q.Encode()
	}
	c.render(w, r, http.StatusOK, "activity", v, view)
}

// namedAllowed: a search naming a person the visitor may not read is
// refused outright, before anything is searched.
func (c *Console) namedAllowed(ctx context.Context, rule *rowRule, person string) (bool, error) {
	if person == "" {
		return true, nil
	}
	return rule.allows(ctx, person)
}

func (c *Console) refuseNamed(w http.ResponseWriter, r *http.Request, v *visit, person string) {
	if err := c.auditVisit(r, v, "console.activity.refused", "user:"+person, nil); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusForbidden, "error", v, errorView{Title: "Not permitted",
		Message: "Your roles do not allow this search: " + errStaffNamed.Error() + " (view-named-staff-activity), or the person is not in the directory."})
}

// auditSearch records a search; one naming a person has object user:NAME.
func (c *Console) auditSearch(r *http.Request, v *visit, action string, f activityForm, shown []string) error {
	object := "activity"
	if f.Person != "" {
		object = "user:" + f.Person
	}
	q := f.query()
	after := map[string]any{}
	for k := range q {
		after[k] = q.Get(k)
	}
	if shown != nil {
		after["users"] = shown
	}
	return c.auditVisit(r, v, action, object, after)
}

// activityPage reads up to n events of filter, newest first, and the
// cursor for the next page (zero when there is none). A page never
// splits the events of one instant: the store orders by time alone, so
// the cursor ("older than") would lose the rest of a tie. The events at
// the page's last instant are all read (they are few) and the page ends
// with them.
func (c *Console) activityPage(ctx context.Context, v *visit, f store.ActivityFilter, n int) ([]activity.Event, time.Time, error) {
	by := v.actorStore()
	f.Limit = n + 1
	var events []activity.Event
	if err := c.st.SearchActivity(ctx, by, f, func(e activity.Event) error { events = append(events, e); return nil }); err != nil {
		return nil, time.Time{}, err
	}
	if len(events) <= n {
		return events, time.Time{}, nil
	}
	last := events[n].Time
	if !events[n-1].Time.Equal(last) {
		return events[:n], events[n-1].Time, nil
	}
	// The page ends in a tie: drop it and read the whole instant.
	keep := events[:0]
	for _, e := range events[:n] {
		if !e.Time.Equal(last) {
			keep = append(keep, e)
		}
	}
	tie := f
	tie.Since, tie.Until, tie.Limit = last, last.Add(time.Microsecond), -1
	if err := c.st.SearchActivity(ctx, by, tie, func(e activity.Event) error { keep = append(keep, e); return nil }); err != nil {
		return nil, time.Time{}, err
	}
	return keep, last, nil
}
