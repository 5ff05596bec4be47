package policy

import "net/netip"

// Portal reports whether an unidentified client at ip must sign in on the
// portal page first: ip is in the networks of a group with portal: true.
// A network in both a portal group and another group is a portal network
// (the stricter answer).
func (s *Snapshot) Portal(ip netip.Addr) bool {
	if !s.hasPortal {
		return false // most policies: no cost per query
	}
	ip = ip.Unmap()
	for i := range s.groups {
		if !s.groups[i].portal {
			continue
		}
		for _, p := range s.groups[i].networks {
			if p.Contains(ip) {
				return true
			}
		}
	}
	return false
}
