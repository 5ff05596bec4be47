package proxy

import (
	"net/http"
)

// stagePortal answers every request of a client that must sign in first
// (unidentified in a portal group's networks) with the sign-in page, 200
// and never a redirect, whatever it asked for: a device's connectivity
// check must see a page to offer its sign-in sheet. A POST to /signin on
// any host signs in (the page's form posts to its own origin). A CONNECT
// gets 403: a tunnel cannot carry the page. The walled garden (the
// sign-in providers' hosts and portal_allow, policy.Engine.PortalAllows)
// goes on through the chain, tunnels too, so that the device can sign in
// with a provider; the group's policy still decides it.
func stagePortal(c *conn, r *request) action {
	if !r.v.Portal || r.probed || c.inGarden(r) {
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

// inGarden reports whether the request's host (a CONNECT's authority, or
// the absolute URL's host) is in the portal's walled garden.
func (c *conn) inGarden(r *request) bool {
	host := r.host
	if host == "" {
		host = r.req.URL.Hostname()
	}
	canon, err := normalize(host)
	return err == nil && c.s.d.Engine.PortalAllows(canon)
}
