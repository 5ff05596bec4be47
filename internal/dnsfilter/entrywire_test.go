package dnsfilter

import (
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"

	"schoolgate/internal/dnsfilter/dnstest"
)

// TestNewEntryWire: for the answers it takes, newEntryWire makes the
// entry newEntry makes (same records, TTL, question length, CNAME targets
// for the cloaking check); it leaves every other answer to newEntry.
func TestNewEntryWire(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	answer := func(name string, qtype uint16, ttl uint32, edit func(*dns.Msg)) *dns.Msg {
		q := new(dns.Msg)
		q.SetQuestion(name, qtype)
		q.SetEdns0(ednsSize, true)
		m := dnstest.Answer(q, ttl)
		if edit != nil {
			edit(m)
		}
		return m
	}
	a := func(name string, ttl uint32) dns.RR {
		return &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}, A: []byte{192, 0, 2, 9}}
	}
	for _, c := range []struct {
		name string
		m    *dns.Msg
		fast bool
	}{
		{"A", answer("www.example.test.", dns.TypeA, 300, nil), true},
		{"AAAA, no OPT", answer("www.example.test.", dns.TypeAAAA, 60, func(m *dns.Msg) { m.Extra = nil }), true},
		{"CNAME chain", answer("www--Bet--test.cname.test.", dns.TypeA, 120, nil), true},
		{"two CNAMEs, TTLs differ", answer("a.test.", dns.TypeA, 300, func(m *dns.Msg) {
			m.Answer = []dns.RR{
				&dns.CNAME{Hdr: dns.RR_Header{Name: "a.test.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 50}, Target: "B.Test."},
				&dns.CNAME{Hdr: dns.RR_Header{Name: "B.Test.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 500}, Target: "c.test."},
				a("c.test.", 40),
			}
		}), true},
		{"glue in additional", answer("x.test.", dns.TypeA, 300, func(m *dns.Msg) {
			m.Extra = append([]dns.RR{a("ns.x.test.", 30)}, m.Extra...)
		}), true},
		{"NXDOMAIN", answer("nx.example.test.", dns.TypeA, 300, nil), false},
		{"NODATA", answer("nodata.example.test.", dns.TypeA, 300, nil), false},
		{"HTTPS (ECH)", answer("www.example.test.", dns.TypeHTTPS, 300, nil), false},
		{"SERVFAIL", answer("fail.example.test.", dns.TypeA, 300, nil), false},
		{"NS in authority", answer("x.test.", dns.TypeA, 300, func(m *dns.Msg) {
			m.Ns = []dns.RR{&dns.NS{Hdr: dns.RR_Header{Name: "test.", Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 9}, Ns: "ns.test."}}
		}), false},
		{"OPT not last", answer("x.test.", dns.TypeA, 300, func(m *dns.Msg) {
			m.Extra = append(m.Extra, a("ns.x.test.", 30))
		}), false},
		{"class CH", answer("x.test.", dns.TypeA, 300, func(m *dns.Msg) { m.Answer[0].Header().Class = dns.ClassCHAOS }), false},
		{"truncated", answer("x.test.", dns.TypeA, 300, func(m *dns.Msg) { m.Truncated = true }), false},
	} {
		for _, compress := range []bool{false, true} {
			c.m.Compress = compress
			wire, err := c.m.Pack()
			if err != nil {
				t.Fatal(err)
			}
			got, gotTTL, ok := newEntryWire(slices.Clone(wire), now)
			if ok != c.fast {
				t.Errorf("%s (compress %v): taken %v, want %v", c.name, compress, ok, c.fast)
				continue
			}
			if !ok {
				continue
			}
			m := new(dns.Msg)
			if err := m.Unpack(wire); err != nil {
				t.Fatal(err)
			}
			want, wantTTL, err := newEntry(m, now)
			if err != nil {
				t.Fatal(err)
			}
			g, w := new(dns.Msg), new(dns.Msg)
			if err := g.Unpack(got.wire); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if err := w.Unpack(want.wire); err != nil {
				t.Fatal(err)
			}
			if g.String() != w.String() || gotTTL != wantTTL || got.qlen != want.qlen || !got.expires.Equal(want.expires) ||
				!slices.Equal(got.cnames, want.cnames) || !slices.Equal(got.ttls, want.ttls) {
				t.Errorf("%s (compress %v):\n%v ttl %d qlen %d cnames %q ttls %v\nwant\n%v ttl %d qlen %d cnames %q ttls %v", c.name, compress,
					g, gotTTL, got.qlen, got.cnames, got.ttls, w, wantTTL, want.qlen, want.cnames, want.ttls)
			}
		}
	}
}

// TestNewEntryWireMalformed: broken answers are never taken.
func TestNewEntryWireMalformed(t *testing.T) {
	q := new(dns.Msg)
	q.SetQuestion("www--bet--test.cname.test.", dns.TypeA)
	m := dnstest.Answer(q, 300)
	m.Compress = true
	good, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := newEntryWire(slices.Clone(good), time.Now()); !ok {
		t.Fatal("the unbroken answer is not taken")
	}
	qend := headerLen + len("www--bet--test.cname.test.") + 1 + 4
	for name, edit := range map[string]func([]byte) []byte{
		"cut short":        func(b []byte) []byte { return b[:len(b)-1] },
		"trailing bytes":   func(b []byte) []byte { return append(b, 0) },
		"header only":      func(b []byte) []byte { return b[:headerLen] },
		"an answer more":   func(b []byte) []byte { b[7]++; return b },
		"pointer forward":  func(b []byte) []byte { b[qend], b[qend+1] = 0xC0, byte(len(b)-2); return b },
		"pointer to self":  func(b []byte) []byte { b[qend], b[qend+1] = 0xC0, byte(qend); return b },
		"label too long":   func(b []byte) []byte { b[headerLen] = 64; return b },
		"A data of 3":      func(b []byte) []byte { return shrinkLastRR(b) },
		"not a response":   func(b []byte) []byte { b[2] &^= 0x80; return b },
		"two questions":    func(b []byte) []byte { b[5] = 2; return b },
		"rdlength too big": func(b []byte) []byte { binary.BigEndian.PutUint16(b[len(b)-6:], 5); return b },
	} {
		if _, _, ok := newEntryWire(edit(slices.Clone(good)), time.Now()); ok {
			t.Errorf("%s: taken", name)
		}
	}
}

// shrinkLastRR makes the last record (an A) 3 bytes of data.
func shrinkLastRR(b []byte) []byte {
	binary.BigEndian.PutUint16(b[len(b)-6:], 3)
	return b[:len(b)-1]
}
