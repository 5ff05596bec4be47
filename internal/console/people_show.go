package console

import (
	"net/http"
	"slices"
	"strings"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// peopleLimit is how many people the list shows at once.
const peopleLimit = 200

// peopleView is the directory, searched and filtered, with the add and
// import forms.
type peopleView struct {
	Query, Role, Group string
	People             []identity.User
	Matched            int
	Limit              int
	Roles              []identity.Role
	Groups             []string
	Form               personForm
	Import             *importReport
	Notice             string
	Error              string
	// The KS1 class log-ons (shared), the groups they may be for, the
	// form, and a new one's password (shown once).
	ClassLogOns   []identity.User
	KS1Groups     []string
	Class         classLogOnForm
	ClassAdded    string
	ClassPassword string
}

func (peopleView) title() string { return "People" }

// importReport is what an upload did: the CLI's summary and bad rows.
type importReport struct {
	Summary store.ImportSummary
	Bad     []identity.RowError
	Unknown []identity.UnknownGroup
	Ignored []string
}

// peopleShow lists people. It names them, so the view is audited with
// the people shown.
func (c *Console) peopleShow(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	c.showPeople(w, r, v, http.StatusOK, peopleView{Query: q.Get("q"), Role: q.Get("role"), Group: q.Get("group"), Notice: peopleNotice(q.Get("done"))})
}

func (c *Console) showPeople(w http.ResponseWriter, r *http.Request, v *visit, status int, view peopleView) {
	users, err := c.st.ListUsers(r.Context(), v.actor.Site)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	view.Limit, view.Roles = peopleLimit, identity.AllRoles()
	view.Groups = c.snap().Groups()
	needle := strings.ToLower(strings.TrimSpace(view.Query))
	var named []string
	for g := range identity.SharedGroups(c.snap().Config().Identity) {
		view.KS1Groups = append(view.KS1Groups, g)
	}
	slices.Sort(view.KS1Groups)
	for _, u := range users {
		if u.Shared {
			view.ClassLogOns = append(view.ClassLogOns, u)
			named = append(named, u.Username)
		}
	}
	for _, u := range users {
		if needle != "" && !strings.Contains(strings.ToLower(u.Username), needle) && !strings.Contains(strings.ToLower(u.DisplayName), needle) {
			continue
		}
		if view.Role != "" && !slices.Contains(u.Roles, identity.Role(view.Role)) {
			continue
		}
		if view.Group != "" && !c.inGroup(u, view.Group) {
			continue
		}
		view.Matched++
		if len(view.People) < peopleLimit {
			view.People = append(view.People, u)
			named = append(named, u.Username)
		}
	}
	if err := c.auditVisit(r, v, "console.people.view", "people", map[string]any{"q": view.Query, "role": view.Role, "group": view.Group, "users": named}); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, status, "people", v, view)
}

// inGroup says whether u is in group: a directory group, or the policy
// group the filter places them in (year group, role, users: lists).
func (c *Console) inGroup(u identity.User, group string) bool {
	snap := c.snap()
	if slices.Contains(identity.ResolveGroups(u.Groups, u.YearGroup, u.Roles, snap.Config().Identity), group) {
		return true
	}
	gi, ok := snap.GroupIndex(group)
	set, _ := snap.PolicyUserGroups(u.Username)
	return ok && set.Has(gi)
}

func peopleNotice(done string) string {
	switch done {
	case "added":
		return "Person added. They have no password yet: reset it to give them one."
	case "roles":
		return "Roles changed."
	case "disabled":
		return "Account disabled; their sessions have ended."
	case "enabled":
		return "Account enabled."
	}
	return ""
}
