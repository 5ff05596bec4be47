package console

import (
	"net/http"
	"os"
	"slices"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// auaView is each group's acceptable-use agreement: its version and
// text, who accepted it (when, from where) and who has not. It is
// printable. A new version is published with the form (aua_publish.go)
// and takes precedence over the policy file's.
type auaView struct {
	Agreements []agreementView
	File       string // the policy file, for the publishing note
	Groups     []string
	Form       auaPublishForm
	Error      string
	Done       bool
}

func (auaView) title() string { return "Acceptable use" }

type agreementView struct {
	Group   string
	Version string
	File    string
	Text    string
	TextErr string
	// Published says who published this version in the console, and
	// when ("" for the policy file's).
	Published string
	Accepted  []store.Acceptance
	Pending   []identity.User
	Earlier   []versionCount // earlier versions of this group with their acceptances
}

type versionCount struct {
	Version string
	Count   int
}

// auaShow lists the agreements. It names people, so the view is audited
// with them.
func (c *Console) auaShow(w http.ResponseWriter, r *http.Request, v *visit) {
	c.showAUA(w, r, v, http.StatusOK, auaView{Done: r.URL.Query().Get("done") == "published"})
}

// showAUA renders the page with view's form and error.
func (c *Console) showAUA(w http.ResponseWriter, r *http.Request, v *visit, status int, view auaView) {
	ctx := r.Context()
	snap := c.snap()
	cfg := snap.Config()
	all, err := c.st.ListAcceptances(ctx, "")
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	published, err := c.st.CurrentAUAs(ctx, v.actor.Site)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	loc := c.location()
	view.File, view.Groups = cfg.File, snap.Groups()
	var named []string
	groups := make([]string, 0, len(cfg.AUA)+len(published))
	for _, e := range cfg.AUA {
		groups = append(groups, e.Name)
	}
	var rest []string
	for g := range published {
		if _, ok := cfg.AUA.Get(g); !ok {
			rest = append(rest, g)
		}
	}
	slices.Sort(rest)
	for _, g := range append(groups, rest...) {
		a := agreementView{Group: g}
		if pub, ok := published[g]; ok {
			a.Version, a.Text = pub.Version, pub.Text
			a.Published = "Published in the console by " + pub.PublishedBy + " on " + pub.PublishedAt.In(loc).Format("2 January 2006 at 15:04")
		} else {
			e, _ := cfg.AUA.Get(g)
			a.Version, a.File = e.Version, cfg.Path(e.File)
			if b, err := os.ReadFile(a.File); err != nil {
				a.TextErr = "The agreement's text cannot be read (" + err.Error() + "): pupils are shown a line asking them to see a member of staff."
			} else {
				a.Text = string(b)
			}
		}
		earlier := map[string]int{}
		var order []string
		for _, acc := range all {
			if acc.Group != g {
				continue
			}
			if acc.Version == a.Version {
				acc.AcceptedAt = acc.AcceptedAt.In(loc)
				a.Accepted = append(a.Accepted, acc)
				named = append(named, acc.User)
				continue
			}
			if _, seen := earlier[acc.Version]; !seen {
				order = append(order, acc.Version)
			}
			earlier[acc.Version]++
		}
		for _, ver := range order {
			a.Earlier = append(a.Earlier, versionCount{Version: ver, Count: earlier[ver]})
		}
		if a.Pending, err = c.st.NotAccepted(ctx, v.actor.Site, cfg.Identity, g, a.Version); err != nil {
			c.fail(w, r, v, err)
			return
		}
		for _, u := range a.Pending {
			named = append(named, u.Username)
		}
		view.Agreements = append(view.Agreements, a)
	}
	if err := c.auditVisit(r, v, "console.aua.view", "aua", map[string]any{"users": named}); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, status, "aua", v, view)
}
