package console

import "net/http"

// loginView is the sign-in page.
type loginView struct {
	Username  string
	Error     string
	Field     string
	Providers []loginProvider
}

// loginProvider is a "Sign in with ..." button.
type loginProvider struct{ Name, Title string }

// loginPage adds the policy's sign-in providers to the view.
func (c *Console) loginPage(v loginView) loginView {
	for _, p := range c.snap().Config().Identity.OIDC {
		v.Providers = append(v.Providers, loginProvider{p.Name, p.Title})
	}
	return v
}

func (loginView) title() string { return "Sign in" }

// loginShow shows the sign-in form; a signed-in visitor goes on.
func (c *Console) loginShow(w http.ResponseWriter, r *http.Request, v *visit) {
	if v != nil {
		next := "/"
		if !v.complete() {
			next = "/totp"
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "login", nil, c.loginPage(loginView{}))
}
