package dnsfilter

import (
	"github.com/miekg/dns"

	"schoolgate/internal/config"
)

// edeProhibited is RFC 8914's "Prohibited": the client is not allowed
// to use this resolver.
const edeProhibited = 18

// stageClients refuses queries from outside dns.allow_networks (by
// default loopback and the groups' networks), so the resolver is never an
// open resolver for the internet to use or to reflect floods through. It
// runs straight after parse, which only reads the header and question it
// needs to answer; nothing is identified, decided, cached, forwarded or
// logged for such a client. The refusals are counted as
// schoolgate_dns_queries_total{result="outside_networks"}.
func stageClients(s *Server, r *request) action {
	if config.ContainsAddr(r.v.clients, r.client.Addr()) {
		return next
	}
	return r.reply(dns.RcodeRefused, resOutside, edeProhibited, "")
}
