package dnsfilter

import (
	"strings"

	"github.com/miekg/dns"

	"schoolgate/internal/probe"
)

// stageParse reads the query. The usual shape is read straight off the
// wire; anything else is unpacked by miekg/dns and checked the same way.
// Responses are dropped (never answer an answer: reflection loops);
// malformed queries get FORMERR, other opcodes NOTIMP, names that cannot
// be host names REFUSED, zone transfers REFUSED.
func stageParse(s *Server, r *request) action {
	r.maxSize = 512
	if r.tcp {
		r.maxSize = 65535
	}
	if len(r.raw) < headerLen {
		r.res = resDropped
		return done // not even a header: nothing to answer to
	}
	if r.oversize {
		r.id = uint16(r.raw[0])<<8 | uint16(r.raw[1])
		return r.fail(dns.RcodeFormatError, resFormErr)
	}
	switch readQuery(r, r.raw, &r.nameBuf) {
	case wireOK:
	case wireSlow:
		if a := s.parseSlow(r); a != next {
			return a
		}
	case wireBadName:
		return r.refuse("query name is not a host name")
	case wireTooLong:
		return r.fail(dns.RcodeFormatError, resFormErr)
	default:
		return r.fail(dns.RcodeFormatError, resFormErr)
	}
	if r.tcp {
		r.maxSize = 65535
	}
	if r.qclass != dns.ClassINET && r.qclass != dns.ClassANY {
		return r.refuse("only class IN is served")
	}
	switch r.qtype {
	case dns.TypeAXFR, dns.TypeIXFR:
		return r.refuse("zone transfers are not served")
	case dns.TypeOPT, 0:
		return r.fail(dns.RcodeFormatError, resFormErr)
	}
	r.noPolicy = r.name == "" || strings.HasSuffix(r.name, ".in-addr.arpa") || strings.HasSuffix(r.name, ".ip6.arpa") || r.name == "in-addr.arpa" || r.name == "ip6.arpa"
	return next
}

// parseSlow unpacks a query of unusual shape with miekg/dns.
func (s *Server) parseSlow(r *request) action {
	var m dns.Msg
	if err := m.Unpack(r.raw); err != nil {
		if len(r.raw) < headerLen {
			r.res = resDropped
			return done // nothing to answer to
		}
		return r.fail(dns.RcodeFormatError, resFormErr)
	}
	if m.Response {
		r.res = resDropped
		return done
	}
	r.id, r.rd, r.cd, r.ad = m.Id, m.RecursionDesired, m.CheckingDisabled, m.AuthenticatedData
	r.question = nil
	if m.Opcode != dns.OpcodeQuery {
		return r.fail(dns.RcodeNotImplemented, resNotImp)
	}
	if len(m.Question) != 1 || !oneOPT(&m) {
		return r.fail(dns.RcodeFormatError, resFormErr)
	}
	q := m.Question[0]
	name := strings.ToLower(strings.TrimSuffix(q.Name, "."))
	if len(name) > maxNameLen {
		return r.fail(dns.RcodeFormatError, resFormErr)
	}
	r.qtype, r.qclass = q.Qtype, q.Qclass
	if opt := m.IsEdns0(); opt != nil {
		r.edns, r.do = true, opt.Do()
		r.maxSize = clampSize(int(opt.UDPSize()))
		if opt.Version() != 0 {
			return r.fail(dns.RcodeBadVers, resFormErr)
		}
		for _, o := range opt.Option {
			if l, ok := o.(*dns.EDNS0_LOCAL); ok && l.Code == probe.OptionCode {
				r.probe = l.Data
			}
		}
	}
	if strings.ContainsAny(name, "\\ ") {
		return r.refuse("query name is not a host name")
	}
	r.name = name
	buf := make([]byte, 0, len(name)+6)
	buf, ok := appendName(buf, name)
	if !ok {
		return r.fail(dns.RcodeFormatError, resFormErr)
	}
	buf = append(buf, byte(q.Qtype>>8), byte(q.Qtype), byte(q.Qclass>>8), byte(q.Qclass))
	r.question = buf
	return next
}

// oneOPT reports whether m has at most one OPT record, owned by the root
// and in the additional section (RFC 6891 6.1.1: a query with more than
// one gets FORMERR). miekg/dns unpacks several without complaint, and
// already refuses an option that overruns its RDATA.
func oneOPT(m *dns.Msg) bool {
	for _, sec := range [][]dns.RR{m.Answer, m.Ns} {
		for _, rr := range sec {
			if rr.Header().Rrtype == dns.TypeOPT {
				return false
			}
		}
	}
	n := 0
	for _, rr := range m.Extra {
		if h := rr.Header(); h.Rrtype == dns.TypeOPT {
			n++
			if h.Name != "." {
				return false
			}
		}
	}
	return n <= 1
}

// appendName appends the wire form of a presentation name without
// escapes.
func appendName(b []byte, name string) ([]byte, bool) {
	for name != "" {
		i := strings.IndexByte(name, '.')
		label := name
		if i >= 0 {
			label, name = name[:i], name[i+1:]
		} else {
			name = ""
		}
		if len(label) == 0 || len(label) > 63 {
			return b, false
		}
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	return append(b, 0), true
}
