package console

import (
	"net/http"
	"time"

	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// grantsView is the grant form and the grants in force.
type grantsView struct {
	Groups     []string
	Categories []categoryChoice
	Durations  []int
	Active     []grantRow
	DayEnd     string
	Form       grantForm
	Notice     string
	Error      string
}

type categoryChoice struct {
	Name, Title string
}

type grantRow struct {
	ID        int64
	Who       string
	What      string
	Until     time.Time
	By        string
	Reason    string
	CanRevoke bool
}

func (grantsView) title() string { return "Grants" }

// grantsShow shows the form and the grants in force.
func (c *Console) grantsShow(w http.ResponseWriter, r *http.Request, v *visit) {
	c.showGrants(w, r, v, http.StatusOK, grantsView{Notice: noticeText(r.URL.Query().Get("done")), Form: grantForm{ToKind: "group", WhatKind: "category", For: "60"}})
}

func (c *Console) showGrants(w http.ResponseWriter, r *http.Request, v *visit, status int, view grantsView) {
	snap := c.snap()
	view.Groups = snap.Groups()
	for _, name := range snap.Categories() {
		i, _ := snap.CategoryIndex(name)
		if snap.IsIllegal(i) {
			continue
		}
		view.Categories = append(view.Categories, categoryChoice{Name: name, Title: snap.CategoryTitle(i)})
	}
	view.Durations = grantDurations
	view.DayEnd = snap.Config().Site.SchoolDayEnd
	active, err := c.st.ActiveOverrides(r.Context(), v.actor.Site, c.now())
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	var names named
	for _, o := range active {
		if o.Kind != store.KindGrant {
			continue
		}
		view.Active = append(view.Active, grantRow{ID: o.ID, Who: grantee(o), What: grantWhat(o), Until: o.Until.In(c.location()),
			By: o.By, Reason: o.Reason, CanRevoke: true})
		names.add(o.User)
	}
	if len(names.users) > 0 {
		if err := c.auditVisit(r, v, "console.grants.view", "grants", map[string]any{"users": names.users}); err != nil {
			c.fail(w, r, v, err)
			return
		}
	}
	c.render(w, r, status, "grants", v, view)
}

func grantee(o policy.Override) string {
	if o.Group != "" {
		return "group " + o.Group
	}
	return o.User
}

func grantWhat(o policy.Override) string {
	verb := "allow "
	if o.Verdict == policy.Block {
		verb = "block "
	}
	if o.Category != "" {
		return verb + "category " + o.Category
	}
	return verb + o.Target
}
