package config

import "net/netip"

// validateDNSAllow checks dns.allow_networks.
func validateDNSAllow(nets []Network) error {
	return validateNetworks("dns.allow_networks", nets)
}

// DNSClients are the networks the resolver answers (and whose devices may
// post the block-page listener's forms): dns.allow_networks, or when it is
// empty loopback and every group's networks. Others get REFUSED, so the
// resolver is never open to the internet.
func (c *Config) DNSClients() []netip.Prefix {
	var out []netip.Prefix
	for _, n := range c.DNS.AllowNetworks {
		if p, err := ParseNetwork(string(n)); err == nil {
			out = append(out, p)
		}
	}
	if len(c.DNS.AllowNetworks) > 0 {
		return out
	}
	out = append(out, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
	for _, g := range c.Groups {
		for _, n := range g.Value.Networks {
			if p, err := ParseNetwork(n); err == nil {
				out = append(out, p)
			}
		}
	}
	return out
}

// ContainsAddr reports whether a (unmapped) is in one of nets.
func ContainsAddr(nets []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
