package dnsfilter

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func pack(t testing.TB, m *dns.Msg) []byte {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadQuery(t *testing.T) {
	q := func(name string, edns bool) []byte {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		if edns {
			m.SetEdns0(4000, true)
		}
		return pack(t, m)
	}
	cases := []struct {
		name   string
		msg    []byte
		status wireStatus
		host   string
	}{
		{"plain", q("WWW.Example.COM.", false), wireOK, "www.example.com"},
		{"edns", q("a.b.", true), wireOK, "a.b"},
		{"root", q(".", false), wireOK, ""},
		{"short", []byte{1, 2, 3}, wireBad, ""},
		{"bad label", q(`a\032b.com.`, false), wireBadName, ""},
		{"dot in label", q(`a\.b.com.`, false), wireBadName, ""},
		{"truncated name", q("example.com.", false)[:15], wireBad, ""},
		{"trailing bytes", append(q("a.b.", false), 0), wireSlow, ""},
	}
	for _, c := range cases {
		var r request
		var buf [maxNameLen + 2]byte
		got := readQuery(&r, c.msg, &buf)
		if got != c.status {
			t.Errorf("%s: status %d, want %d", c.name, got, c.status)
			continue
		}
		if got == wireOK && r.name != c.host {
			t.Errorf("%s: name %q, want %q", c.name, r.name, c.host)
		}
	}
	var r request
	var buf [maxNameLen + 2]byte
	if readQuery(&r, q("a.b.", true), &buf); !r.edns || !r.do || r.maxSize != 4000 {
		t.Errorf("EDNS not read: %+v", r)
	}
}

func TestTTLOffsets(t *testing.T) {
	m := new(dns.Msg)
	m.SetQuestion("x.test.", dns.TypeA)
	m.Answer = []dns.RR{
		&dns.CNAME{Hdr: dns.RR_Header{Name: "x.test.", Rrtype: dns.TypeCNAME, Class: 1, Ttl: 100}, Target: "y.test."},
		&dns.A{Hdr: dns.RR_Header{Name: "y.test.", Rrtype: dns.TypeA, Class: 1, Ttl: 200}, A: []byte{1, 2, 3, 4}},
	}
	m.SetEdns0(1232, false)
	m.Compress = true
	offs, ttls, ok := ttlOffsets(pack(t, m), nil, nil)
	if !ok || len(offs) != 2 || ttls[0] != 100 || ttls[1] != 200 {
		t.Fatalf("offsets %v ttls %v ok %v", offs, ttls, ok)
	}
	if _, _, ok := ttlOffsets(pack(t, m)[:30], nil, nil); ok {
		t.Errorf("truncated message accepted")
	}
}

// handle runs one raw query through the whole chain, as the TCP path
// does, and returns the answer (nil when dropped).
func (e *testEnv) handle(raw []byte, from string) []byte {
	s := e.srv
	r := s.getRequest()
	r.raw = append(r.in[:0], raw...)
	r.client = netip.AddrPortFrom(netip.MustParseAddr(from), 5353)
	r.mayBlock = true
	s.begin(r)
	s.runChain(r)
	out := append([]byte(nil), r.out...)
	s.finish(r)
	s.putRequest(r)
	if len(out) == 0 {
		return nil
	}
	return out
}

func TestBadInput(t *testing.T) {
	e := startTest(t, nil)
	reply := func(raw []byte) *dns.Msg {
		out := e.handle(raw, "127.0.0.2")
		if out == nil {
			return nil
		}
		m := new(dns.Msg)
		if err := m.Unpack(out); err != nil {
			t.Fatalf("reply to %x does not unpack: %v", raw, err)
		}
		return m
	}
	base := new(dns.Msg)
	base.SetQuestion("ok.test.", dns.TypeA)
	raw := pack(t, base)

	if m := reply(raw[:5]); m != nil {
		t.Errorf("a 5-byte message was answered")
	}
	if m := reply(raw[:20]); m == nil || m.Rcode != dns.RcodeFormatError {
		t.Errorf("cut question: %v", m)
	}
	resp := base.Copy()
	resp.Response = true
	if m := reply(pack(t, resp)); m != nil {
		t.Errorf("a response was answered")
	}
	notify := base.Copy()
	notify.Opcode = dns.OpcodeNotify
	if m := reply(pack(t, notify)); m == nil || m.Rcode != dns.RcodeNotImplemented {
		t.Errorf("NOTIFY: %v", m)
	}
	two := base.Copy()
	two.Question = append(two.Question, two.Question[0])
	if m := reply(pack(t, two)); m == nil || m.Rcode != dns.RcodeFormatError {
		t.Errorf("two questions: %v", m)
	}
	axfr := base.Copy()
	axfr.Question[0].Qtype = dns.TypeAXFR
	if m := reply(pack(t, axfr)); m == nil || m.Rcode != dns.RcodeRefused {
		t.Errorf("AXFR: %v", m)
	}
	chaos := base.Copy()
	chaos.Question[0].Qclass = dns.ClassCHAOS
	if m := reply(pack(t, chaos)); m == nil || m.Rcode != dns.RcodeRefused {
		t.Errorf("CHAOS: %v", m)
	}
	odd := base.Copy()
	odd.Question[0].Name = `we\ird\.name.test.`
	if m := reply(pack(t, odd)); m == nil || m.Rcode != dns.RcodeRefused {
		t.Errorf("odd name: %v", m)
	}
	bad := base.Copy()
	bad.SetEdns0(1232, false)
	bad.IsEdns0().SetVersion(1)
	if m := reply(pack(t, bad)); m == nil || m.Rcode != dns.RcodeBadVers {
		t.Errorf("EDNS version 1: %v", m)
	}
	// A compressed question takes the slow path and is answered.
	comp := []byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1}
	comp = append(comp, 2, 'o', 'k', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1)
	comp = append(comp, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0)
	if m := reply(comp); m == nil || m.Rcode != dns.RcodeSuccess || len(m.Answer) != 1 {
		t.Errorf("plain query via bytes: %v", m)
	}
	long := []byte{0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}
	for range 5 {
		long = append(long, 61)
		long = append(long, make([]byte, 61)...)
		for k := len(long) - 61; k < len(long); k++ {
			long[k] = 'a'
		}
	}
	long = append(long, 0, 0, 1, 0, 1)
	if m := reply(long); m == nil || m.Rcode != dns.RcodeFormatError {
		t.Errorf("overlong name: %v", m)
	}
}

func TestOversizedUDP(t *testing.T) {
	e := startTest(t, nil)
	big := make([]byte, 9000)
	m := new(dns.Msg)
	m.SetQuestion("ok.test.", dns.TypeA)
	copy(big, pack(t, m))
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	conn, err := c.Dial(e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write(big)
	reply, err := conn.ReadMsg()
	if err != nil || reply.Rcode != dns.RcodeFormatError {
		t.Errorf("oversized datagram: %v %v", reply, err)
	}
}

func TestRateLimit(t *testing.T) {
	e := startTest(t, func(s string) string { return s + "  rate_limit: 5\n" })
	m := new(dns.Msg)
	m.SetQuestion("rl.test.", dns.TypeA)
	raw := pack(t, m)
	answered := 0
	for range 20 {
		if e.handle(raw, "127.0.0.9") != nil {
			answered++
		}
	}
	if answered < 5 || answered > 7 {
		t.Errorf("%d of 20 answered at 5 qps", answered)
	}
	if e.handle(raw, "127.0.0.10") == nil {
		t.Errorf("another client was limited too")
	}
	if got := counterValue(e.srv.m.byResult[resRateLimited]); got < 13 {
		t.Errorf("ratelimited counter %v", got)
	}
}

func TestSessionUserGroups(t *testing.T) {
	e := startTest(t, func(s string) string {
		return s
	})
	// 127.0.0.2 is in pupils; a proxy log-in as alice makes it "named"
	// (unfiltered for gambling).
	if a := firstAddr(e.query(t, "127.0.0.2", "bet.test", dns.TypeA)); a != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("pupils: %v", a)
	}
	e.sessions.Set(netip.MustParseAddr("127.0.0.2"), "alice", time.Hour)
	if a := firstAddr(e.query(t, "127.0.0.2", "bet.test", dns.TypeA)); a != netip.MustParseAddr(dnstestAddr("bet.test")) {
		t.Errorf("alice: %v", a)
	}
	if ev := e.sink.last(); ev.User != "alice" || ev.Groups[0] != "named" {
		t.Errorf("event %+v", ev)
	}
}

func TestReload(t *testing.T) {
	e := startTest(t, nil)
	if a := firstAddr(e.query(t, "127.0.0.3", "new.test", dns.TypeA)); a == netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("blocked before reload")
	}
	writeFile(t, e.dir, "gambling.txt", "gambling.test\nbet.test\nnew.test\n")
	writeFile(t, e.dir, "policy.yaml", readFile(t, e.dir, "policy.yaml")+"  block_response: nxdomain\n")
	// Queries keep being answered while the policy reloads.
	ctx, cancel := context.WithCancel(context.Background())
	failed, answered := make(chan int), 0
	go func() {
		n := 0
		c := &dns.Client{Timeout: time.Second}
		m := new(dns.Msg)
		m.SetQuestion("steady.test.", dns.TypeA)
		for ctx.Err() == nil {
			if r, _, err := c.Exchange(m, e.addr); err != nil || r.Rcode != dns.RcodeSuccess {
				n++
			}
			answered++
		}
		failed <- n
	}()
	for range 3 {
		if _, err := e.engine.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.query(t, "127.0.0.2", "new.test", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Errorf("after reload: %v", r)
	}
	cancel()
	if n := <-failed; n > 0 {
		t.Errorf("%d of %d queries failed during reloads", n, answered)
	}
}
