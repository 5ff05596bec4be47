package dnsfilter

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// newEntryWire makes the cache entry for the common upstream answer
// straight from its wire form, without unpacking it into a dns.Msg and
// packing it again (together a tenth of a cache miss): NOERROR, at least
// one answer, and only A, AAAA and CNAME records (plus an OPT record,
// last). Every name is checked (labels, lengths, pointers that point
// back), A and AAAA data have their exact length and CNAME targets are
// read as newEntry reads them, so what the cache holds and what the
// cloaking check decides are the same as on the general path. It reports
// false for any other answer: newEntry takes those (ECH stripping,
// negative TTLs, other record types). msg becomes the entry's wire.
func newEntryWire(msg []byte, now time.Time) (*entry, uint32, bool) {
	if len(msg) < headerLen {
		return nil, 0, false
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	an := int(binary.BigEndian.Uint16(msg[6:]))
	ns := int(binary.BigEndian.Uint16(msg[8:]))
	ar := int(binary.BigEndian.Uint16(msg[10:]))
	if flags&flagQR == 0 || flags&flagTC != 0 || flags&0xF != dns.RcodeSuccess ||
		binary.BigEndian.Uint16(msg[4:]) != 1 || an == 0 {
		return nil, 0, false
	}
	off, ok := checkName(msg, headerLen)
	if !ok || off+4 > len(msg) {
		return nil, 0, false
	}
	off += 4
	qlen := off - headerLen
	ttl := uint32(maxCacheTTL)
	var cnames []string
	end := -1 // where the OPT record starts
	for i := range an + ns + ar {
		start := off
		if off, ok = checkName(msg, off); !ok || off+10 > len(msg) {
			return nil, 0, false
		}
		typ := binary.BigEndian.Uint16(msg[off:])
		class := binary.BigEndian.Uint16(msg[off+2:])
		rrTTL := binary.BigEndian.Uint32(msg[off+4:])
		rdata := off + 10
		off = rdata + int(binary.BigEndian.Uint16(msg[off+8:]))
		if off > len(msg) {
			return nil, 0, false
		}
		switch typ {
		case typeOPT:
			if i != an+ns+ar-1 || i < an+ns || msg[start] != 0 {
				return nil, 0, false
			}
			end = start
			continue
		case dns.TypeA:
			ok = off-rdata == 4
		case dns.TypeAAAA:
			ok = off-rdata == 16
		case dns.TypeCNAME:
			var after int
			after, ok = checkName(msg, rdata)
			ok = ok && after == off
			if ok && i < an {
				target, _, err := dns.UnpackDomainName(msg, rdata)
				if err != nil {
					return nil, 0, false
				}
				cnames = append(cnames, strings.ToLower(strings.TrimSuffix(target, ".")))
			}
		default:
			ok = false
		}
		if !ok || class != dns.ClassINET {
			return nil, 0, false
		}
		ttl = min(ttl, rrTTL)
	}
	if off != len(msg) {
		return nil, 0, false
	}
	wire := msg
	if end >= 0 {
		wire = msg[:end:end]
		binary.BigEndian.PutUint16(wire[10:], uint16(ar-1))
	}
	wire[0], wire[1] = 0, 0
	e := &entry{wire: wire, stored: now, qlen: qlen, cnames: cnames}
	if e.ttlOff, e.ttls, ok = ttlOffsets(wire, nil, nil); !ok {
		return nil, 0, false
	}
	e.expires = now.Add(time.Duration(ttl) * time.Second)
	return e, ttl, true
}

// checkName checks the name at off (labels of at most 63 bytes, at most
// 255 bytes in all, compression pointers only to earlier offsets) and
// returns the offset after it.
func checkName(msg []byte, off int) (int, bool) {
	after, n, limit := -1, 0, off
	for {
		if off >= len(msg) {
			return 0, false
		}
		l := int(msg[off])
		switch {
		case l == 0:
			if after < 0 {
				after = off + 1
			}
			return after, n+1 <= 255
		case l&0xC0 == 0xC0:
			if off+2 > len(msg) {
				return 0, false
			}
			ptr := int(binary.BigEndian.Uint16(msg[off:]) & 0x3FFF)
			if ptr >= limit { // only backwards: no loops
				return 0, false
			}
			if after < 0 {
				after = off + 2
			}
			off, limit = ptr, ptr
		case l > 63:
			return 0, false
		default:
			if n += l + 1; n > 255 {
				return 0, false
			}
			off += 1 + l
		}
	}
}
