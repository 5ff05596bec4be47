package console

import (
	"net/http"
	"sort"
	"time"

	"schoolgate/internal/listsync"
	"schoolgate/internal/policy"
	"schoolgate/internal/policytable"
)

// policyView is the policy in force in the seeds' words, what changes it
// now (exceptions, live overrides), its lists' health and overlaps, and
// the explain form with its answer.
type policyView struct {
	Table      policytable.Grid
	Composed   bool // a school's policy over its trust's: the table marks its changes
	Exceptions []exceptionRow
	Overrides  []overrideCount
	Problems   []listsync.Problem
	Overlaps   overlapSummary
	Groups     []string
	Form       explainForm
	Explain    *explanation
	Error      string
}

func (policyView) title() string { return "Policy" }

type exceptionRow struct {
	Hosts   []string
	Verdict string
	Groups  []string
	Reason  string
	Until   string // site-local, or "" (no expiry)
}

type overrideCount struct {
	Kind  string
	Count int
}

// policyShow renders the table and, when the explain form was sent, the
// engine's whole explanation. Explaining for a named person is audited
// with them.
func (c *Console) policyShow(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	snap := c.snap()
	now := c.now()
	view := policyView{Table: policytable.Table(snap), Groups: snap.Groups(), Problems: listsync.Health(snap, now)}
	view.Composed = snap.Config().Composed.SchoolChanged()
	view.Exceptions = exceptionsInForce(snap, now)
	active, err := c.st.ActiveOverrides(ctx, c.enforcedSite(v), now)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	view.Overrides = countOverrides(active)
	view.Overlaps = c.overlaps.summary(snap)
	status := http.StatusOK
	if q := r.URL.Query(); q.Has("target") {
		view.Form = explainForm{Target: q.Get("target"), Who: q.Get("who"), At: q.Get("at")}
		ex, err := c.explain(r, v, snap, view.Form)
		if err != nil {
			view.Error, status = err.Error(), http.StatusUnprocessableEntity
		}
		view.Explain = ex
	}
	c.render(w, r, status, "policy", v, view)
}

// exceptionsInForce lists the policy's exceptions that have not expired.
func exceptionsInForce(snap *policy.Snapshot, now time.Time) []exceptionRow {
	loc := snap.Location()
	if loc == nil {
		loc = time.UTC
	}
	var out []exceptionRow
	for _, e := range snap.Config().Exceptions {
		row := exceptionRow{Hosts: e.Hosts, Verdict: e.Verdict, Groups: e.Groups, Reason: e.Reason}
		if e.Until != "" {
			t, err := policy.ParseUntil(e.Until, loc)
			if err == nil && !t.After(now) {
				continue
			}
			row.Until = e.Until
			if err == nil {
				row.Until = t.In(loc).Format("Mon 2 Jan 2006 15:04")
			}
		}
		out = append(out, row)
	}
	return out
}

// countOverrides counts the live overrides by kind; it names nobody.
func countOverrides(list []policy.Override) []overrideCount {
	n := map[string]int{}
	for _, o := range list {
		n[o.Kind]++
	}
	var out []overrideCount
	for _, k := range []string{"grant", "unblock", "suspension", "continue"} {
		out = append(out, overrideCount{Kind: k, Count: n[k]})
		delete(n, k)
	}
	var rest []string
	for k := range n {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, overrideCount{Kind: k, Count: n[k]})
	}
	return out
}
