package dnsfilter

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// ednsQuery is "ok.test A" with ID 0x4242, an=an, ar=ar, followed by the
// records in tail, built by hand so it can be as wrong as a test needs.
func ednsQuery(an, ar byte, tail ...byte) []byte {
	b := []byte{0x42, 0x42, 1, 0, 0, 1, 0, an, 0, 0, 0, ar}
	b = append(b, 2, 'o', 'k', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1)
	return append(b, tail...)
}

// opt is an OPT record owned by name (0 for the root, as it must be)
// with a UDP size of 1232, version 0 and the given RDATA length and bytes.
func opt(owner []byte, rdlen uint16, rdata ...byte) []byte {
	b := append([]byte(nil), owner...)
	b = append(b, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, byte(rdlen>>8), byte(rdlen))
	return append(b, rdata...)
}

var (
	root   = []byte{0}
	cookie = []byte{0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8} // COOKIE, 8 bytes
	padOpt = []byte{0, 12, 0, 2, 0, 0}                   // PADDING, 2 bytes
)

// ednsCases are queries with well-formed and malformed EDNS (RFC 6891
// 6.1.1: FORMERR for two OPT records; an option whose length overruns the
// OPT RDATA is malformed too). They seed FuzzHandle as well.
var ednsCases = []struct {
	name  string
	raw   []byte
	rcode int
}{
	{"one OPT, no options", ednsQuery(0, 1, opt(root, 0)...), dns.RcodeSuccess},
	{"one OPT, cookie and padding", ednsQuery(0, 1, opt(root, 18, append(append([]byte(nil), cookie...), padOpt...)...)...), dns.RcodeSuccess},
	{"two OPT records", ednsQuery(0, 2, append(opt(root, 0), opt(root, 0)...)...), dns.RcodeFormatError},
	{"two OPT records with options", ednsQuery(0, 2, append(opt(root, 12, cookie...), opt(root, 6, padOpt...)...)...), dns.RcodeFormatError},
	{"option overruns the RDATA", ednsQuery(0, 1, opt(root, 8, 0, 10, 0, 8, 1, 2, 3, 4)...), dns.RcodeFormatError},
	{"option length 65535", ednsQuery(0, 1, opt(root, 6, 0, 10, 0xff, 0xff, 1, 2)...), dns.RcodeFormatError},
	{"option header cut", ednsQuery(0, 1, opt(root, 2, 0, 10)...), dns.RcodeFormatError},
	{"second option overruns", ednsQuery(0, 1, opt(root, 16, append(append([]byte(nil), cookie...), 0, 12, 0, 9)...)...), dns.RcodeFormatError},
	{"RDATA longer than the message", ednsQuery(0, 1, opt(root, 40, cookie...)...), dns.RcodeFormatError},
	{"OPT in the answer section", ednsQuery(1, 0, opt(root, 0)...), dns.RcodeFormatError},
	{"OPT not owned by the root", ednsQuery(0, 1, opt([]byte{1, 'x', 0}, 0)...), dns.RcodeFormatError},
	{"compressed name, option overruns", append([]byte{0x42, 0x42, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 'o', 'k', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1, 0xC0, 12}, opt(nil, 8, 0, 10, 0, 8, 1, 2, 3, 4)...), dns.RcodeFormatError},
}

// TestEDNSFormErr runs each case through the chain: FORMERR for the
// malformed, an answer for the well-formed; a FORMERR carries the query's
// ID and no OPT of its own (the query's cannot be trusted).
func TestEDNSFormErr(t *testing.T) {
	e := startTest(t, nil)
	for _, tc := range ednsCases {
		out := e.handle(tc.raw, "127.0.0.2")
		var m dns.Msg
		if err := m.Unpack(out); err != nil {
			t.Errorf("%s: answer does not unpack: %v", tc.name, err)
			continue
		}
		if m.Rcode != tc.rcode || m.Id != 0x4242 {
			t.Errorf("%s: rcode %s id %#x, want %s", tc.name, dns.RcodeToString[m.Rcode], m.Id, dns.RcodeToString[tc.rcode])
		}
		if tc.rcode == dns.RcodeFormatError && m.IsEdns0() != nil {
			t.Errorf("%s: FORMERR answered with an OPT", tc.name)
		}
		if tc.rcode == dns.RcodeSuccess && (len(m.Answer) != 1 || m.IsEdns0() == nil) {
			t.Errorf("%s: %d answers, OPT %v", tc.name, len(m.Answer), m.IsEdns0() != nil)
		}
	}
}

// TestEDNSFormErrOnTheWire sends the malformed queries as raw datagrams
// and over TCP to the listening resolver, and asks dig (which sends a
// COOKIE option) and one with extra options, which must be answered.
func TestEDNSFormErrOnTheWire(t *testing.T) {
	e := startTest(t, nil)
	for _, tc := range ednsCases {
		for _, netw := range []string{"udp", "tcp"} {
			c, err := net.DialTimeout(netw, e.addr, 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(3 * time.Second))
			msg := tc.raw
			if netw == "tcp" {
				msg = append([]byte{byte(len(tc.raw) >> 8), byte(len(tc.raw))}, tc.raw...)
			}
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 4096)
			n, err := c.Read(buf)
			c.Close()
			if err != nil {
				t.Errorf("%s over %s: %v", tc.name, netw, err)
				continue
			}
			if netw == "tcp" {
				buf, n = buf[2:], n-2
			}
			var m dns.Msg
			if err := m.Unpack(buf[:n]); err != nil || m.Rcode != tc.rcode {
				t.Errorf("%s over %s: rcode %s (%v), want %s", tc.name, netw, dns.RcodeToString[m.Rcode], err, dns.RcodeToString[tc.rcode])
			}
		}
	}
	if _, err := exec.LookPath("dig"); err != nil {
		t.Skip("dig not installed")
	}
	host, port, _ := net.SplitHostPort(e.addr)
	for _, args := range [][]string{{"+cookie"}, {"+cookie", "+ednsopt=65001:abcdef", "+padding=64"}, {"+tcp", "+cookie", "+nsid"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := exec.CommandContext(ctx, "dig", append([]string{"@" + host, "-p", port, "-b", "127.0.0.2", "+tries=1", "+time=3", "ok.test", "A"}, args...)...).CombinedOutput()
		cancel()
		if err != nil || !strings.Contains(string(out), "status: NOERROR") {
			t.Errorf("dig %v: %v\n%s", args, err, out)
		}
	}
}
