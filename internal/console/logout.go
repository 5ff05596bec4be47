package console

import "net/http"

// logout ends this browser's session.
func (c *Console) logout(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := c.auditVisit(r, v, "console.signout", "user:"+v.user.Username, nil); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.endSession(r.Context(), w, v.sess.IDHash)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
