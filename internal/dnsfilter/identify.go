package dnsfilter

import (
	"context"
)

// stageIdentify finds the client's user and groups through the one
// identity resolver serve shares with the proxy: a live proxy log-in from
// the address is that user (unless disabled), with the directory's and the
// policy's users: groups; otherwise the policy's networks decide (or
// default_group). A self-test probe (an EDNS0 option with a token the
// node signed, from loopback) is the group or test user it names.
func stageIdentify(s *Server, r *request) action {
	// A nil resolver (no proxy) answers by the policy's networks alone.
	// A self-test probe stands for its group, only from this node.
	who, ok := s.probes.Who(context.Background(), r.v.snap, s.ident, r.client.Addr(), string(r.probe))
	r.probed = ok
	if !ok {
		who = s.ident.Client(context.Background(), r.v.snap, r.client.Addr())
	}
	r.user, r.groups, r.portal = who.User, who.Groups, who.Portal
	r.gi = r.v.groupInfo(r.groups)
	r.ttlCap = noCap
	if r.gi.filtered {
		r.ttlCap = r.v.maxTTL
	}
	return next
}
