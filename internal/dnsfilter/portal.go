package dnsfilter

// portalRule is the activity log's rule for a name answered with the
// sign-in page.
const portalRule = "portal (not signed in)"

// stagePortal answers every query of an unidentified client in a portal
// group's networks with the block page's address, where the sign-in page
// is, with TTL 0 so that the device asks again as soon as someone has
// signed in. block_response does not apply: nxdomain or null would leave
// the device with no page to show (and its connectivity check, answered
// the same way, makes it offer the sign-in sheet). Other query types get
// an empty answer. The walled garden (policy.Engine.PortalAllows: the
// sign-in providers' hosts and portal_allow) goes on through the chain
// for its real answer, so that the device can sign in with a provider.
func stagePortal(s *Server, r *request) action {
	if !r.portal || s.engine.PortalAllows(r.name) {
		return next
	}
	r.rule = portalRule
	r.ttlCap = 0
	return r.block("blockpage", resBlocked, edeFiltered, "sign in to the school network on its sign-in page")
}
