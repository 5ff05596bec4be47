package dnsfilter

import (
	"context"
)

// stageIdentify finds the client's user and groups through the one
// identity resolver serve shares with the proxy: a live proxy log-in from
// the address is that user (unless disabled), with the directory's and the
// policy's users: groups; otherwise the policy's networks decide (or
// default_group).
func stageIdentify(s *Server, r *request) action {
	snap := r.v.snap
	ip := r.client.Addr().Unmap()
	if s.ident != nil {
		who := s.ident.Client(context.Background(), snap, ip)
		r.user, r.groups = who.User, who.Groups
	} else {
		r.groups = snap.GroupsForIP(ip)
	}
	r.gi = r.v.groupInfo(r.groups)
	r.ttlCap = noCap
	if r.gi.filtered {
		r.ttlCap = r.v.maxTTL
	}
	return next
}
