package dnsfilter

import "github.com/miekg/dns"

// Names that switch off a filter, answered NXDOMAIN for filtered groups:
//   - use-application-dns.net: Firefox's canary; NXDOMAIN tells it not to
//     enable DNS over HTTPS by default.
//   - mask.icloud.com, mask-h2.icloud.com: Apple's documented way for a
//     network to turn iCloud Private Relay off (its devices then show the
//     user that the network blocks it).
//
// DoH provider names are a policy category like any other (decide).
const (
	canaryName = "use-application-dns.net"
)

func circumventionRule(name string) string {
	switch name {
	case canaryName:
		return "dns.circumvention.canary"
	case "mask.icloud.com", "mask-h2.icloud.com":
		return "dns.circumvention.private_relay"
	}
	return ""
}

// stageCircumvent answers the canary and Private Relay names for
// filtered groups. It runs before decide so that no rule or exception can
// let them through.
func stageCircumvent(s *Server, r *request) action {
	if !r.gi.filtered {
		return next
	}
	rule := circumventionRule(r.name)
	if rule == "" {
		return next
	}
	r.rule = rule
	return r.reply(dns.RcodeNameError, resCircumvention, edeFiltered, "filter circumvention")
}
