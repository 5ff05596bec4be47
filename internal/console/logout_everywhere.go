package console

import "net/http"

// logoutEverywhere ends every session of the signed-in person.
func (c *Console) logoutEverywhere(w http.ResponseWriter, r *http.Request, v *visit) {
	n, err := c.st.EndConsoleSessions(r.Context(), v.user.Username)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	if err := c.auditVisit(r, v, "console.signout.everywhere", "user:"+v.user.Username, map[string]any{"sessions": n}); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.clearCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
