package dnsfilter

import (
	"encoding/binary"

	"github.com/miekg/dns"
)

// Responses built straight in wire form: the header, the client's own
// question, synthesized records and, for EDNS clients, an OPT record that
// may carry an Extended DNS Error (RFC 8914).

// EDE info codes used (RFC 8914).
const (
	edeBlocked         = 15 // blocked by the operator's policy
	edeFiltered        = 17 // filtered for this client's group
	edeNoReachableAuth = 22 // no upstream answered
)

// appendHeader starts r.out with a response header. qd is 0 or 1.
func (r *request) appendHeader(rcode int, qd, an uint16, tc bool) {
	flags := uint16(flagQR|flagRA) | uint16(rcode&0xF)
	if r.rd {
		flags |= flagRD
	}
	if r.cd {
		flags |= flagCD
	}
	if tc {
		flags |= flagTC
	}
	var ar uint16
	if r.edns {
		ar = 1
	}
	b := r.out[:0]
	b = binary.BigEndian.AppendUint16(b, r.id)
	b = binary.BigEndian.AppendUint16(b, flags)
	b = binary.BigEndian.AppendUint16(b, qd)
	b = binary.BigEndian.AppendUint16(b, an)
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint16(b, ar)
	r.out = b
}

// appendOPT ends an EDNS response with our OPT record, the upper bits of
// an extended rcode, and an Extended DNS Error when code is not 0.
func (r *request) appendOPT(rcode int, code uint16, text string) {
	if !r.edns {
		return
	}
	var flags uint16
	if r.do {
		flags = 0x8000
	}
	b := append(r.out, 0, 0, typeOPT)
	b = binary.BigEndian.AppendUint16(b, ednsSize)
	b = append(b, byte(rcode>>4), 0)
	b = binary.BigEndian.AppendUint16(b, flags)
	if code == 0 {
		b = append(b, 0, 0)
	} else {
		text = text[:min(len(text), 200)]
		b = binary.BigEndian.AppendUint16(b, uint16(4+2+len(text)))
		b = binary.BigEndian.AppendUint16(b, dns.EDNS0EDE)
		b = binary.BigEndian.AppendUint16(b, uint16(2+len(text)))
		b = binary.BigEndian.AppendUint16(b, code)
		b = append(b, text...)
	}
	r.out = b
}

// fail answers with rcode and no records.
func (r *request) fail(rcode int, res result) action {
	return r.reply(rcode, res, 0, "")
}

// refuse answers REFUSED with a "Blocked" EDE saying why.
func (r *request) refuse(why string) action {
	return r.reply(dns.RcodeRefused, resRefused, edeBlocked, why)
}

// reply answers with rcode, no records and an optional EDE.
func (r *request) reply(rcode int, res result, ede uint16, text string) action {
	qd := uint16(0)
	if r.question != nil {
		qd = 1
	}
	r.appendHeader(rcode, qd, 0, false)
	r.out = append(r.out, r.question...)
	r.appendOPT(rcode, ede, text)
	r.res = res
	return done
}

// answerAddr answers with one A or AAAA record (ip is 4 or 16 bytes), or
// with no data for other types, and an EDE.
func (r *request) answerAddr(ip []byte, ttl uint32, res result, ede uint16, text string) action {
	var rrType uint16
	switch {
	case r.qtype == dns.TypeA && len(ip) == 4:
		rrType = dns.TypeA
	case r.qtype == dns.TypeAAAA && len(ip) == 16:
		rrType = dns.TypeAAAA
	default:
		return r.reply(dns.RcodeSuccess, res, ede, text) // NODATA
	}
	r.appendHeader(dns.RcodeSuccess, 1, 1, false)
	b := append(r.out, r.question...)
	b = append(b, 0xC0, headerLen) // the name: a pointer to the question
	b = binary.BigEndian.AppendUint16(b, rrType)
	b = binary.BigEndian.AppendUint16(b, dns.ClassINET)
	b = binary.BigEndian.AppendUint32(b, ttl)
	b = binary.BigEndian.AppendUint16(b, uint16(len(ip)))
	b = append(b, ip...)
	r.out = b
	r.appendOPT(0, ede, text)
	r.res = res
	return done
}

// answerMsg renders a dns.Msg (the slow paths: SafeSearch, SERVFAIL with
// records) for this client: its ID, question, EDNS and size limit, TTLs
// capped at r.ttlCap.
func (r *request) answerMsg(m *dns.Msg, res result) action {
	m.Id = r.id
	m.Response, m.RecursionAvailable = true, true
	m.RecursionDesired, m.CheckingDisabled = r.rd, r.cd
	m.Authoritative, m.Truncated = false, false
	m.Question = []dns.Question{{Name: dns.Fqdn(r.name), Qtype: r.qtype, Qclass: r.qclass}}
	for _, sec := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			if h := rr.Header(); h.Ttl > r.ttlCap {
				h.Ttl = r.ttlCap
			}
		}
	}
	stripOPT(m)
	if r.edns {
		m.SetEdns0(ednsSize, r.do)
	}
	if !r.tcp {
		m.Truncate(r.maxSize)
	}
	b, err := m.PackBuffer(r.out[:cap(r.out)])
	if err != nil {
		return r.fail(dns.RcodeServerFailure, resServFail)
	}
	r.out = b
	if len(r.question) == questionLen(r.name) && len(b) >= headerLen+len(r.question) {
		copy(b[headerLen:], r.question) // the client's own letter case
	}
	r.res = res
	return done
}

// stripOPT removes OPT records from the additional section.
func stripOPT(m *dns.Msg) {
	extra := m.Extra[:0]
	for _, rr := range m.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			extra = append(extra, rr)
		}
	}
	m.Extra = extra
}

// questionLen is the wire length of a question for name (no escapes).
func questionLen(name string) int {
	if name == "" {
		return 1 + 4
	}
	return len(name) + 2 + 4
}
