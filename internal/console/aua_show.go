package console

import (
	"net/http"
	"os"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// auaView is each group's acceptable-use agreement: its version and
// text, who accepted it (when, from where) and who has not. It is
// printable; publishing a new version is an edit to the policy file,
// which the page explains but does not make.
type auaView struct {
	Agreements []agreementView
	File       string // the policy file, for the publishing note
}

func (auaView) title() string { return "Acceptable use" }

type agreementView struct {
	Group    string
	Version  string
	File     string
	Text     string
	TextErr  string
	Accepted []store.Acceptance
	Pending  []identity.User
	Earlier  []versionCount // earlier versions of this group with their acceptances
}

type versionCount struct {
	Version string
	Count   int
}

// auaShow lists the agreements. It names people, so the view is audited
// with them.
func (c *Console) auaShow(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	cfg := c.snap().Config()
	all, err := c.st.ListAcceptances(ctx, "")
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	loc := c.location()
	view := auaView{File: cfg.File}
	var named []string
	for _, e := range cfg.AUA {
		a := agreementView{Group: e.Name, Version: e.Value.Version, File: cfg.Path(e.Value.File)}
		if b, err := os.ReadFile(a.File); err != nil {
			a.TextErr = "The agreement's text cannot be read (" + err.Error() + "): pupils are shown a line asking them to see a member of staff."
		} else {
			a.Text = string(b)
		}
		earlier := map[string]int{}
		var order []string
		for _, acc := range all {
			if acc.Group != e.Name {
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
		if a.Pending, err = c.st.NotAccepted(ctx, cfg.Identity, e.Name, a.Version); err != nil {
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
	c.render(w, r, http.StatusOK, "aua", v, view)
}
