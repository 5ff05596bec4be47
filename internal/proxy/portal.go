package proxy

import (
	"net/http"
)

// stagePortal answers every request of a client that must sign in first
// (unidentified in a portal group's networks) with the sign-in page, 200
// and never a redirect, whatever it asked for: a device's connectivity
// check must see a page to offer its sign-in sheet. A POST to /signin on
// any host signs in (the page's form posts to its own origin). A CONNECT
// gets 403: a tunnel cannot carry the page.
func stagePortal(c *conn, r *request) action {
	if !r.v.Portal || r.probed {
		return next
	}
	p := c.s.d.Pages
	if r.req.Method == http.MethodConnect || p == nil {
		c.s.m.failed(errAuthRequired)
		return r.answered(c.writeSimple(r.req, http.StatusForbidden, "Sign in to the school network first: open any http:// page to reach the sign-in page.", nil))
	}
	w := newMemResponse()
	p.Portal(w, r.req, r.v)
	return r.answered(c.writeMem(r.req, w))
}
