package dnsfilter

import (
	"bufio"
	_ "embed"
	"strings"

	"github.com/miekg/dns"

	"schoolgate/internal/policy"
)

// safesearch_hosts.txt lists the search engines' host names ("host
// engine"), from ../shared/data/lists/safesearch/ (AdGuard Home's rules).
//
//go:embed safesearch_hosts.txt
var safeSearchHosts string

// safeSearch maps a host to its engine; targets gives the SafeSearch name
// per engine and level.
type safeSearch map[string]string

func newSafeSearch() safeSearch {
	m := safeSearch{}
	sc := bufio.NewScanner(strings.NewReader(safeSearchHosts))
	for sc.Scan() {
		host, engine, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if ok && !strings.HasPrefix(host, "#") {
			m[host] = engine
		}
	}
	return m
}

// target is the name that enforces SafeSearch for host at level, or "".
func (ss safeSearch) target(host string, level policy.SafeSearch) string {
	if level == policy.SafeSearchOff {
		return ""
	}
	switch ss[host] {
	case "google":
		return "forcesafesearch.google.com"
	case "youtube":
		if level == policy.SafeSearchStrict {
			return "restrict.youtube.com"
		}
		return "restrictmoderate.youtube.com"
	case "bing":
		return "strict.bing.com"
	case "duckduckgo":
		return "safe.duckduckgo.com"
	case "ecosia":
		return "strict-safe-search.ecosia.org"
	case "pixabay":
		return "safesearch.pixabay.com"
	}
	return ""
}

// stageSafeSearch answers an allowed search engine for a group with
// safesearch: strict or moderate with a CNAME to the engine's SafeSearch
// name, and that name's records resolved through the cache and upstreams.
func stageSafeSearch(s *Server, r *request) action {
	if r.gi.safesearch == policy.SafeSearchOff || r.noPolicy {
		return next
	}
	target := s.ss.target(r.name, r.gi.safesearch)
	if target == "" {
		return next
	}
	k := cacheKey{name: target, qtype: r.qtype, flags: r.keyFlags()}
	e := s.cache.get(k, r.start)
	if e == nil {
		if !r.mayBlock {
			return park
		}
		var err error
		if e, err = s.resolve(k, r.v); err != nil {
			return r.servfail()
		}
	}
	var m dns.Msg
	if err := m.Unpack(e.wire); err != nil {
		return r.servfail()
	}
	e.ageMsg(&m, r.start)
	cname := &dns.CNAME{
		Hdr:    dns.RR_Header{Name: dns.Fqdn(r.name), Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: min(r.ttlCap, 300)},
		Target: dns.Fqdn(target),
	}
	m.Answer = append([]dns.RR{cname}, m.Answer...)
	return r.answerMsg(&m, resSafeSearch)
}
