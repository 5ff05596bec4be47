package console

import (
	"net/http"

	"schoolgate/internal/identity"
)

// setupView is the first-run form: the first console account.
type setupView struct {
	Token    string
	Username string
	Display  string
	Roles    []roleChoice
	Error    string
	Field    string
}

type roleChoice struct {
	Role    identity.Role
	Checked bool
}

func (setupView) title() string { return "Set up the console" }

// setupRoles are the roles offered on the set-up form.
var setupRoles = []identity.Role{identity.RoleTechnical, identity.RoleSLT, identity.RoleDSL, identity.RoleESafetyLead, identity.RoleTeacher}

func newSetupView(f setupForm) setupView {
	v := setupView{Token: f.Token, Username: f.Username, Display: f.DisplayName}
	for _, r := range setupRoles {
		checked := false
		for _, g := range f.Roles {
			checked = checked || g == r
		}
		v.Roles = append(v.Roles, roleChoice{Role: r, Checked: checked})
	}
	return v
}

// setupShow shows the first-run form, for the live set-up link only.
func (c *Console) setupShow(w http.ResponseWriter, r *http.Request, v *visit) {
	tok := r.URL.Query().Get("token")
	if !c.setupValid(tok) {
		c.render(w, r, http.StatusNotFound, "error", v, errorView{Title: "Set-up link not valid",
			Message: "This set-up link has been used or has expired (a link works once, for an hour). Restart schoolgate serve for a new one while nobody can sign in, or run: schoolgate users add NAME --role technical --password-stdin"})
		return
	}
	c.render(w, r, http.StatusOK, "setup", v, newSetupView(setupForm{Token: tok}))
}
