package dnsfilter

import (
	"testing"

	"github.com/miekg/dns"
)

// FuzzHandle feeds raw bytes to the whole chain (parse to forward, with a
// local upstream). Whatever comes in, the resolver must not crash, and
// whatever it answers must be a well-formed DNS message with the query's
// ID.
func FuzzHandle(f *testing.F) {
	e := startTest(f, nil)
	for _, seed := range []struct {
		name  string
		qtype uint16
		edns  bool
	}{
		{"ok.test.", dns.TypeA, true}, {"bet.test.", dns.TypeAAAA, false}, {"WWW.Google.com.", dns.TypeA, true},
		{"illegal.test.", dns.TypeMX, true}, {"ech.test.", dns.TypeHTTPS, true}, {"nx.x.test.", dns.TypeA, false},
		{".", dns.TypeNS, false}, {"1.0.0.127.in-addr.arpa.", dns.TypePTR, true}, {"big.test.", dns.TypeTXT, false},
	} {
		m := new(dns.Msg)
		m.SetQuestion(seed.name, seed.qtype)
		if seed.edns {
			m.SetEdns0(1232, true)
		}
		b, _ := m.Pack()
		f.Add(b)
		f.Add(b[:len(b)-3])
	}
	f.Add([]byte{})
	for _, tc := range ednsCases {
		f.Add(tc.raw)
	}
	f.Add([]byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1})
	f.Add([]byte{0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > maxUDPQuery {
			raw = raw[:maxUDPQuery]
		}
		for _, from := range []string{"127.0.0.2", "127.0.0.3"} {
			out := e.handle(raw, from)
			if out == nil {
				continue
			}
			var m dns.Msg
			if err := m.Unpack(out); err != nil {
				t.Fatalf("answer to %x does not unpack: %v\n%x", raw, err, out)
			}
			if len(raw) >= 2 && m.Id != uint16(raw[0])<<8|uint16(raw[1]) {
				t.Fatalf("answer ID %d for query %x", m.Id, raw)
			}
			if !m.Response {
				t.Fatalf("answer without QR")
			}
		}
	})
}
