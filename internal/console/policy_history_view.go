package console

import (
	"net/http"
	"strconv"
	"strings"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
	"schoolgate/internal/textdiff"
)

// policyHistoryLimit is how many versions the history shows, newest first.
const policyHistoryLimit = 100

// policyHistoryView is the policy versions pushed to the database, with a
// readable diff of two of them when asked, and the rollback form for
// those who may roll back.
type policyHistoryView struct {
	Versions    []policyVersionRow
	A, B        int64
	Diff        []diffLine
	Lists       []string // the lists that differ between A and B
	CanRollback bool
	Form        policyRollbackForm
	Done        string
	Error       string
}

func (policyHistoryView) title() string { return "Policy history" }

// policyVersionRow is one version as the page lists it; Previous is the
// version before it of the same policy (0 for the first).
type policyVersionRow struct {
	store.PolicyVersion
	Policy   string
	Previous int64
}

// diffLine is a line of a unified diff and its kind (add, del, hunk, ctx).
type diffLine struct{ Kind, Text string }

// historyScope is the site whose versions a visitor sees besides the
// trust's: the actor's site, never the request's; "" (every school's)
// for the trust's staff.
func historyScope(v *visit) string {
	if v.actor.Site == store.AllSites {
		return ""
	}
	return v.actor.Site
}

// policyHistory reads the versions and, when a and b name two of them,
// their diff.
func (c *Console) policyHistory(r *http.Request, v *visit) (policyHistoryView, error) {
	view := policyHistoryView{CanRollback: safeguarding.Can(v.user.Roles, safeguarding.RollbackPolicy)}
	list, err := c.st.PolicyHistory(r.Context(), historyScope(v), policyHistoryLimit)
	if err != nil {
		return view, err
	}
	loc := c.location()
	for i, pv := range list {
		pv.CreatedAt = pv.CreatedAt.In(loc)
		row := policyVersionRow{PolicyVersion: pv, Policy: versionPolicy(pv)}
		for _, older := range list[i+1:] {
			if older.Kind == pv.Kind && older.Site == pv.Site {
				row.Previous = older.ID
				break
			}
		}
		view.Versions = append(view.Versions, row)
	}
	q := r.URL.Query()
	view.A, _ = strconv.ParseInt(q.Get("a"), 10, 64)
	view.B, _ = strconv.ParseInt(q.Get("b"), 10, 64)
	if view.A > 0 && view.B > 0 {
		va, aok := findVersion(list, view.A)
		vb, bok := findVersion(list, view.B)
		if !aok || !bok {
			view.Error = "a, b: compare two versions listed here"
			return view, nil
		}
		d := textdiff.Unified("version "+strconv.FormatInt(va.ID, 10), "version "+strconv.FormatInt(vb.ID, 10), va.Content, vb.Content)
		for _, l := range strings.Split(strings.TrimSuffix(d, "\n"), "\n") {
			if l == "" {
				continue
			}
			kind := "ctx"
			switch {
			case strings.HasPrefix(l, "@@"):
				kind = "hunk"
			case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
				kind = "head"
			case strings.HasPrefix(l, "+"):
				kind = "add"
			case strings.HasPrefix(l, "-"):
				kind = "del"
			}
			view.Diff = append(view.Diff, diffLine{Kind: kind, Text: l})
		}
		view.Lists = listChanges(va.Lists, vb.Lists)
	}
	return view, nil
}

func findVersion(list []store.PolicyVersion, id int64) (store.PolicyVersion, bool) {
	for _, v := range list {
		if v.ID == id {
			return v, true
		}
	}
	return store.PolicyVersion{}, false
}

// versionPolicy names whose policy a version is.
func versionPolicy(v store.PolicyVersion) string {
	if v.Kind == store.PolicyTrust {
		return "Trust"
	}
	return "School " + v.Site
}

// listChanges says which lists differ between two versions.
func listChanges(a, b []store.PolicyList) []string {
	old := map[string]string{}
	for _, l := range a {
		old[l.Source] = l.Hash
	}
	var out []string
	for _, l := range b {
		h, ok := old[l.Source]
		delete(old, l.Source)
		switch {
		case !ok:
			out = append(out, l.Source+": added")
		case h != l.Hash:
			out = append(out, l.Source+": changed")
		}
	}
	for _, l := range a {
		if _, ok := old[l.Source]; ok {
			out = append(out, l.Source+": removed")
		}
	}
	return out
}
