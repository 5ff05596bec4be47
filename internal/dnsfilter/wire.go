package dnsfilter

import (
	"encoding/binary"
	"unsafe"

	"schoolgate/internal/probe"
)

// Wire-format helpers for the hot path: the common query (one question,
// at most an OPT record) is read without unpacking a dns.Msg.

const (
	headerLen = 12
	typeOPT   = 41
	// flag bits of the header's second 16-bit word.
	flagQR = 1 << 15
	flagAA = 1 << 10
	flagTC = 1 << 9
	flagRD = 1 << 8
	flagRA = 1 << 7
	flagAD = 1 << 5
	flagCD = 1 << 4
	// ednsSize is the UDP payload size we advertise (DNS flag day 2020).
	ednsSize = 1232
	// maxNameLen is the longest presentation name (no trailing dot).
	maxNameLen = 253
)

type wireStatus uint8

const (
	wireOK      wireStatus = iota
	wireSlow               // legal but unusual: unpack with miekg/dns
	wireBad                // malformed
	wireBadName            // a label holds bytes no host name has
	wireTooLong            // the name is over 253 characters
)

// readQuery reads the header and question of msg into r. The name is
// written to nameBuf and r.name aliases it (no allocation: see
// request.name). It reports wireSlow for shapes it does not handle.
func readQuery(r *request, msg []byte, nameBuf *[maxNameLen + 2]byte) wireStatus {
	if len(msg) < headerLen {
		return wireBad
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	r.id = binary.BigEndian.Uint16(msg)
	r.rd, r.cd, r.ad = flags&flagRD != 0, flags&flagCD != 0, flags&flagAD != 0
	qd := binary.BigEndian.Uint16(msg[4:])
	an := binary.BigEndian.Uint16(msg[6:])
	ns := binary.BigEndian.Uint16(msg[8:])
	ar := binary.BigEndian.Uint16(msg[10:])
	if flags&flagQR != 0 || (flags>>11)&0xF != 0 || qd != 1 || an != 0 || ns != 0 || ar > 1 {
		return wireSlow
	}
	off := headerLen
	n := 0
	for {
		if off >= len(msg) {
			return wireBad
		}
		l := int(msg[off])
		off++
		if l == 0 {
			break
		}
		if l > 63 {
			return wireSlow // compression pointer or reserved label type
		}
		if off+l > len(msg) {
			return wireBad
		}
		if n > 0 {
			nameBuf[n] = '.'
			n++
		}
		if n+l > maxNameLen {
			return wireTooLong
		}
		for _, c := range msg[off : off+l] {
			switch {
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			case c <= ' ' || c >= 0x7f || c == '.' || c == '\\':
				return wireBadName
			}
			nameBuf[n] = c
			n++
		}
		off += l
	}
	if off+4 > len(msg) {
		return wireBad
	}
	r.qtype = binary.BigEndian.Uint16(msg[off:])
	r.qclass = binary.BigEndian.Uint16(msg[off+2:])
	off += 4
	r.question = msg[headerLen:off]
	r.name = ""
	if n > 0 {
		r.name = unsafe.String(&nameBuf[0], n)
	}
	if ar == 0 {
		if off != len(msg) {
			return wireSlow
		}
		return wireOK
	}
	// The OPT record: root name, type 41, class = UDP size, TTL = extended
	// RCODE, version and flags, then options we do not need.
	if off+11 > len(msg) || msg[off] != 0 || binary.BigEndian.Uint16(msg[off+1:]) != typeOPT {
		return wireSlow
	}
	size := int(binary.BigEndian.Uint16(msg[off+3:]))
	version := msg[off+6]
	do := msg[off+7]&0x80 != 0
	rdlen := int(binary.BigEndian.Uint16(msg[off+9:]))
	if off+11+rdlen != len(msg) || version != 0 {
		return wireSlow
	}
	// Each option (code, length, data) must end inside the RDATA: one
	// that overruns it is malformed (RFC 6891 6.1.2), answered FORMERR.
	for opts := msg[off+11:]; len(opts) > 0; {
		if len(opts) < 4 {
			return wireBad
		}
		l := 4 + int(binary.BigEndian.Uint16(opts[2:]))
		if l > len(opts) {
			return wireBad
		}
		if binary.BigEndian.Uint16(opts) == probe.OptionCode {
			r.probe = opts[4:l]
		}
		opts = opts[l:]
	}
	r.edns, r.do = true, do
	r.maxSize = clampSize(size)
	return wireOK
}

func clampSize(size int) int {
	return min(max(size, 512), 4096)
}

// skipName returns the offset after the (possibly compressed) name at off,
// or -1.
func skipName(msg []byte, off int) int {
	for {
		if off >= len(msg) {
			return -1
		}
		l := int(msg[off])
		switch {
		case l == 0:
			return off + 1
		case l&0xC0 == 0xC0:
			if off+2 > len(msg) {
				return -1
			}
			return off + 2
		case l > 63:
			return -1
		}
		off += 1 + l
	}
}

// ttlOffsets finds the TTL field of every resource record in a packed
// response, skipping OPT. It returns false on a malformed message.
func ttlOffsets(msg []byte, offs []uint16, ttls []uint32) ([]uint16, []uint32, bool) {
	if len(msg) < headerLen || len(msg) > 65535 {
		return nil, nil, false
	}
	qd := int(binary.BigEndian.Uint16(msg[4:]))
	rrs := int(binary.BigEndian.Uint16(msg[6:])) + int(binary.BigEndian.Uint16(msg[8:])) + int(binary.BigEndian.Uint16(msg[10:]))
	off := headerLen
	for range qd {
		if off = skipName(msg, off); off < 0 || off+4 > len(msg) {
			return nil, nil, false
		}
		off += 4
	}
	for range rrs {
		if off = skipName(msg, off); off < 0 || off+10 > len(msg) {
			return nil, nil, false
		}
		typ := binary.BigEndian.Uint16(msg[off:])
		if typ != typeOPT {
			offs = append(offs, uint16(off+4))
			ttls = append(ttls, binary.BigEndian.Uint32(msg[off+4:]))
		}
		rdlen := int(binary.BigEndian.Uint16(msg[off+8:]))
		off += 10 + rdlen
		if off > len(msg) {
			return nil, nil, false
		}
	}
	return offs, ttls, true
}
