package console

import (
	"errors"
	"net/http"
	"strings"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// personView is one person: their account, the roles form, disable or
// enable, reset password, and their sign-in history.
type personView struct {
	Person   identity.User
	Groups   []string
	Roles    []identity.Role
	Signins  []store.AuditRecord
	Password string // a reset password, shown once
	Notice   string
	Error    string
}

func (personView) title() string { return "Person" }

// personShow shows a person; the view is audited with them.
func (c *Console) personShow(w http.ResponseWriter, r *http.Request, v *visit) {
	c.showPerson(w, r, v, http.StatusOK, personView{Notice: peopleNotice(r.URL.Query().Get("done"))})
}

func (c *Console) showPerson(w http.ResponseWriter, r *http.Request, v *visit, status int, view personView) {
	ctx := r.Context()
	u, err := c.st.GetUserIn(ctx, v.actor.Site, r.PathValue("name"))
	if errors.Is(err, store.ErrNotFound) {
		c.render(w, r, http.StatusNotFound, "error", v, errorView{Title: "Not found", Message: "Nobody by that name is in the user directory."})
		return
	}
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	view.Person, view.Roles = u, identity.AllRoles()
	view.Groups = identity.ResolveGroups(u.Groups, u.YearGroup, u.Roles, c.snap().Config().Identity)
	recs, err := c.st.ListAudit(ctx, store.AuditFilter{Object: "user:" + u.Username, Newest: true, Limit: 500})
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	loc := c.location()
	for _, rec := range recs {
		if strings.HasPrefix(rec.Action, "console.signin") || rec.Action == "console.signout" || rec.Action == "console.signout.everywhere" ||
			rec.Action == "console.device.end" || rec.Action == "console.totp.enrol" {
			rec.At = rec.At.In(loc)
			view.Signins = append(view.Signins, rec)
		}
	}
	if err := c.auditVisit(r, v, "console.person.view", "user:"+u.Username, nil); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, status, "person", v, view)
}
