package dnsfilter

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"schoolgate/internal/dnsfilter/dnstest"
)

func TestPerGroupDecisions(t *testing.T) {
	e := startTest(t, nil)
	blockpage := netip.MustParseAddr("127.0.0.1")
	cases := []struct {
		from, name string
		qtype      uint16
		rcode      int
		addr       netip.Addr // zero: no address expected
		ede        int
	}{
		{"127.0.0.3", "www.bet.test", dns.TypeA, dns.RcodeSuccess, dnstest.AddrFor("www.bet.test"), -1},
		{"127.0.0.2", "www.bet.test", dns.TypeA, dns.RcodeSuccess, blockpage, edeFiltered},
		{"127.0.0.2", "www.bet.test", dns.TypeAAAA, dns.RcodeSuccess, netip.MustParseAddr("::1"), edeFiltered},
		{"127.0.0.2", "www.bet.test", dns.TypeMX, dns.RcodeSuccess, netip.Addr{}, edeFiltered},
		{"127.0.0.2", "ok.test", dns.TypeA, dns.RcodeSuccess, dnstest.AddrFor("ok.test"), -1},
		// Illegal: NXDOMAIN for everyone, even staff, even with an allow exception.
		{"127.0.0.3", "evil.illegal.test", dns.TypeA, dns.RcodeNameError, netip.Addr{}, edeBlocked},
		{"127.0.0.2", "x.illegal.test", dns.TypeA, dns.RcodeNameError, netip.Addr{}, edeBlocked},
		// Warn and permission resolve to the block page.
		{"127.0.0.2", "games.test", dns.TypeA, dns.RcodeSuccess, blockpage, edeFiltered},
		{"127.0.0.2", "social.test", dns.TypeA, dns.RcodeSuccess, blockpage, edeFiltered},
		{"127.0.0.3", "games.test", dns.TypeA, dns.RcodeSuccess, dnstest.AddrFor("games.test"), -1},
		// An exception allows one gambling host for pupils.
		{"127.0.0.2", "allowed.gambling.test", dns.TypeA, dns.RcodeSuccess, dnstest.AddrFor("allowed.gambling.test"), -1},
		// Outside lunch, shopping is blocked for pupils.
		{"127.0.0.2", "shop.test", dns.TypeA, dns.RcodeSuccess, blockpage, edeFiltered},
	}
	for _, c := range cases {
		r := e.query(t, c.from, c.name, c.qtype)
		if r.Rcode != c.rcode {
			t.Errorf("%s %s from %s: rcode %s, want %s", c.name, dns.TypeToString[c.qtype], c.from, dns.RcodeToString[r.Rcode], dns.RcodeToString[c.rcode])
		}
		if got := firstAddr(r); got != c.addr {
			t.Errorf("%s %s from %s: address %v, want %v", c.name, dns.TypeToString[c.qtype], c.from, got, c.addr)
		}
		if code, _ := ede(r); code != c.ede {
			t.Errorf("%s from %s: EDE %d, want %d", c.name, c.from, code, c.ede)
		}
	}
	ev := e.sink.last()
	if ev.Host != "shop.test" || ev.Verdict != "block" || ev.Client != netip.MustParseAddr("127.0.0.2") || len(ev.Groups) != 1 || ev.Groups[0] != "pupils" || ev.Point != "dns" {
		t.Errorf("last event = %+v", ev)
	}
}

func TestBlockResponses(t *testing.T) {
	for _, mode := range []string{"nxdomain", "null", "blockpage"} {
		t.Run(mode, func(t *testing.T) {
			e := startTest(t, func(s string) string {
				return strings.Replace(s, "  timeout: 1s\n", "  timeout: 1s\n  block_response: "+mode+"\n  illegal_response: null\n  blockpage_ipv4: 10.0.0.80\n", 1)
			})
			r := e.query(t, "127.0.0.2", "bet.test", dns.TypeA)
			code, text := ede(r)
			if code != edeFiltered || !strings.Contains(text, "gambling") {
				t.Errorf("EDE %d %q", code, text)
			}
			switch mode {
			case "nxdomain":
				if r.Rcode != dns.RcodeNameError || len(r.Answer) != 0 {
					t.Errorf("got %v", r)
				}
			case "null":
				if firstAddr(r) != netip.MustParseAddr("0.0.0.0") {
					t.Errorf("got %v", r)
				}
				if a := firstAddr(e.query(t, "127.0.0.2", "bet.test", dns.TypeAAAA)); a != netip.MustParseAddr("::") {
					t.Errorf("AAAA %v", a)
				}
			case "blockpage":
				if firstAddr(r) != netip.MustParseAddr("10.0.0.80") {
					t.Errorf("got %v", r)
				}
			}
			if r.Answer != nil && r.Answer[0].Header().Ttl > 60 {
				t.Errorf("block TTL %d", r.Answer[0].Header().Ttl)
			}
			ill := e.query(t, "127.0.0.2", "illegal.test", dns.TypeA)
			if firstAddr(ill) != netip.MustParseAddr("0.0.0.0") {
				t.Errorf("illegal_response null: %v", ill)
			}
			if ev := e.sink.last(); !ev.Illegal || ev.Verdict != "block" || ev.Categories[0] != "illegal" {
				t.Errorf("illegal event %+v", ev)
			}
		})
	}
}

func TestCircumvention(t *testing.T) {
	e := startTest(t, nil)
	for _, name := range []string{"use-application-dns.net", "mask.icloud.com", "mask-h2.icloud.com"} {
		r := e.query(t, "127.0.0.2", name, dns.TypeA)
		if r.Rcode != dns.RcodeNameError {
			t.Errorf("%s for pupils: %s", name, dns.RcodeToString[r.Rcode])
		}
	}
	// Staff are filtered too here: the illegal category applies to
	// everyone (TestCanaryUnfiltered has a policy without one).
	if r := e.query(t, "127.0.0.3", canaryName, dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Errorf("canary for staff: %s", dns.RcodeToString[r.Rcode])
	}
}

func TestCanaryUnfiltered(t *testing.T) {
	e := startTest(t, func(s string) string {
		s = strings.Replace(s, "  illegal:\n    illegal: true\n    sources: [{path: illegal.txt, format: domains}]\n", "", 1)
		s = strings.Replace(s, "  illegal: {others: block}\n", "", 1)
		return strings.Replace(s, "  - {hosts: [evil.illegal.test], verdict: allow}\n", "", 1)
	})
	if r := e.query(t, "127.0.0.3", canaryName, dns.TypeA); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Errorf("canary for unfiltered staff: %v", r)
	}
	if r := e.query(t, "127.0.0.2", canaryName, dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Errorf("canary for pupils: %v", r)
	}
	// Unfiltered clients keep the upstream's TTL.
	if r := e.query(t, "127.0.0.3", "ttl.test", dns.TypeA); r.Answer[0].Header().Ttl != 3600 {
		t.Errorf("unfiltered TTL %d", r.Answer[0].Header().Ttl)
	}
}

func TestSafeSearch(t *testing.T) {
	e := startTest(t, nil)
	cases := []struct{ from, name, target string }{
		{"127.0.0.2", "www.google.com", "forcesafesearch.google.com."},
		{"127.0.0.2", "www.google.co.uk", "forcesafesearch.google.com."},
		{"127.0.0.2", "www.youtube.com", "restrict.youtube.com."},
		{"127.0.0.4", "www.youtube.com", "restrictmoderate.youtube.com."},
		{"127.0.0.2", "www.bing.com", "strict.bing.com."},
		{"127.0.0.2", "duckduckgo.com", "safe.duckduckgo.com."},
		{"127.0.0.3", "www.google.com", ""},
	}
	for _, c := range cases {
		r := e.query(t, c.from, c.name, dns.TypeA)
		var target string
		if cn, ok := r.Answer[0].(*dns.CNAME); ok {
			target = cn.Target
		}
		if target != c.target {
			t.Errorf("%s from %s: CNAME %q, want %q", c.name, c.from, target, c.target)
			continue
		}
		if c.target != "" && firstAddr(r) != dnstest.AddrFor(c.target) {
			t.Errorf("%s: address %v, want the target's %v", c.name, firstAddr(r), dnstest.AddrFor(c.target))
		}
	}
}

func TestTTLCaps(t *testing.T) {
	e := startTest(t, nil)
	// Filtered groups: at most 60 s, from the cache too.
	for range 2 {
		if r := e.query(t, "127.0.0.2", "ttl.test", dns.TypeA); r.Answer[0].Header().Ttl != 60 {
			t.Errorf("filtered TTL %d", r.Answer[0].Header().Ttl)
		}
	}
	// An exception that ends in 30 s caps the answer at 30 s.
	if r := e.query(t, "127.0.0.2", "allowed.gambling.test", dns.TypeA); r.Answer[0].Header().Ttl != 30 {
		t.Errorf("exception TTL %d", r.Answer[0].Header().Ttl)
	}
	// So does it for an alias of that name (a CNAME to it), from the
	// upstream and the cache: the alias must not outlive the exception.
	for round := range 2 {
		r := e.query(t, "127.0.0.2", "allowed--gambling--test.cname.test", dns.TypeA)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 2 || firstAddr(r) != dnstest.AddrFor("allowed.gambling.test") {
			t.Fatalf("round %d: alias of an excepted name: %v", round, r)
		}
		for _, rr := range r.Answer {
			if rr.Header().Ttl != 30 {
				t.Errorf("round %d: alias of an excepted name: %s TTL %d, want 30", round, dns.TypeToString[rr.Header().Rrtype], rr.Header().Ttl)
			}
		}
	}
	// Shopping opens for pupils at 12:00: ten seconds before, the block
	// lasts ten seconds; during lunch the answer lasts until 13:00 at most.
	e.clock.Set(time.Date(2026, 3, 2, 11, 59, 50, 0, time.UTC))
	r := e.query(t, "127.0.0.2", "shop.test", dns.TypeA)
	if r.Answer[0].Header().Ttl != 10 || firstAddr(r) != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("before lunch: %v", r.Answer[0])
	}
	e.clock.Set(time.Date(2026, 3, 2, 12, 59, 40, 0, time.UTC))
	r = e.query(t, "127.0.0.2", "shop.test", dns.TypeA)
	if r.Answer[0].Header().Ttl != 20 || firstAddr(r) != dnstest.AddrFor("shop.test") {
		t.Errorf("end of lunch: %v", r.Answer[0])
	}
}

func TestCache(t *testing.T) {
	e := startTest(t, nil)
	e.query(t, "127.0.0.3", "cached.test", dns.TypeA)
	n := e.up.Queries()
	r := e.query(t, "127.0.0.3", "CACHED.test", dns.TypeA)
	if e.up.Queries() != n {
		t.Errorf("second query went upstream")
	}
	if r.Question[0].Name != "CACHED.test." {
		t.Errorf("question case not kept: %s", r.Question[0].Name)
	}
	// Negative answers are cached per RFC 2308 (the SOA minimum).
	for range 3 {
		if r := e.query(t, "127.0.0.3", "nx.neg.test", dns.TypeA); r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 {
			t.Fatalf("nx: %v", r)
		}
	}
	if got := e.up.Queries() - n; got != 1 {
		t.Errorf("NXDOMAIN went upstream %d times, want 1", got)
	}
	if r := e.query(t, "127.0.0.3", "nx.neg.test", dns.TypeA); r.Ns[0].Header().Ttl > dnstest.SOAMinimum {
		t.Errorf("negative TTL %d", r.Ns[0].Header().Ttl)
	}
	if hits := counterValue(e.srv.m.cacheHits); hits < 3 {
		t.Errorf("cache hits %v", hits)
	}
}

func TestTruncationAndTCP(t *testing.T) {
	e := startTest(t, nil)
	r := e.exchange(t, "127.0.0.3", "udp", "big.test", dns.TypeTXT, false)
	if !r.Truncated || len(r.Answer) != 0 {
		t.Errorf("UDP without EDNS: TC=%v answers=%d", r.Truncated, len(r.Answer))
	}
	r = e.exchange(t, "127.0.0.3", "tcp", "big.test", dns.TypeTXT, false)
	if r.Truncated || len(r.Answer) != 40 {
		t.Errorf("TCP: TC=%v answers=%d", r.Truncated, len(r.Answer))
	}
	if r.IsEdns0() != nil {
		t.Errorf("OPT in a reply to a query without EDNS")
	}
	r = e.exchange(t, "127.0.0.2", "tcp", "bet.test", dns.TypeA, true)
	if firstAddr(r) != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("TCP block: %v", r)
	}
}

func TestECHStripped(t *testing.T) {
	e := startTest(t, nil)
	r := e.query(t, "127.0.0.3", "ech.test", dns.TypeHTTPS)
	h, ok := r.Answer[0].(*dns.HTTPS)
	if !ok {
		t.Fatalf("answer %v", r.Answer)
	}
	for _, kv := range h.Value {
		if kv.Key() == dns.SVCB_ECHCONFIG {
			t.Errorf("ech left in %v", h)
		}
		if m, ok := kv.(*dns.SVCBMandatory); ok {
			for _, c := range m.Code {
				if c == dns.SVCB_ECHCONFIG {
					t.Errorf("ech left mandatory: %v", h)
				}
			}
		}
	}
	if len(h.Value) != 2 {
		t.Errorf("params %v", h.Value)
	}
}

func TestUpstreamDownServfailFast(t *testing.T) {
	// A closed port: refused at once.
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	dead := pc.LocalAddr().String()
	pc.Close()
	e := startTest(t, func(s string) string {
		return strings.Replace(s, "  upstreams: [", "  upstreams: [\""+dead+"\", ", 1)
	})
	// Fail-over: the dead one first, the live one answers.
	if r := e.query(t, "127.0.0.3", "failover.test", dns.TypeA); firstAddr(r) != dnstest.AddrFor("failover.test") {
		t.Errorf("fail-over: %v", r)
	}
}

func TestServfailWhenAllDown(t *testing.T) {
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	dead := pc.LocalAddr().String()
	pc.Close()
	// A silent upstream: it reads and never answers.
	silent, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer silent.Close()
	for _, up := range []string{dead, silent.LocalAddr().String()} {
		e := startTest(t, func(s string) string { return onlyUpstream(s, up) })
		start := time.Now()
		r := e.query(t, "127.0.0.3", "down.test", dns.TypeA)
		if r.Rcode != dns.RcodeServerFailure {
			t.Errorf("%s: %s", up, dns.RcodeToString[r.Rcode])
		}
		if code, _ := ede(r); code != edeNoReachableAuth {
			t.Errorf("EDE %d", code)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("SERVFAIL took %v (timeout 1s)", d)
		}
	}
}

// TestCNAMECloaking: an allowed name that is an alias (CNAME) of a blocked
// or illegal one is answered as that name would be, from the upstream and
// from the cache alike; the block page is never the answer (it would judge
// the allowed name). Staff, for whom the target is allowed, get the alias.
func TestCNAMECloaking(t *testing.T) {
	e := startTest(t, nil)
	for round := range 2 { // the second answer comes from the cache
		r := e.query(t, "127.0.0.2", "www--bet--test.cname.test", dns.TypeA)
		if code, text := ede(r); r.Rcode != dns.RcodeNameError || code != edeFiltered || !strings.Contains(text, "alias") {
			t.Fatalf("round %d: pupil, alias of a gambling name: %s EDE %d %q\n%v", round, dns.RcodeToString[r.Rcode], code, text, r)
		}
		if ev := e.sink.last(); ev.Host != "www--bet--test.cname.test" || ev.Verdict != "block" || len(ev.Categories) != 1 || ev.Categories[0] != "gambling" ||
			!strings.HasSuffix(ev.Rule, " (an alias of www.bet.test)") {
			t.Fatalf("round %d: event %+v", round, ev)
		}
		r = e.query(t, "127.0.0.3", "www--bet--test.cname.test", dns.TypeA)
		if r.Rcode != dns.RcodeSuccess || firstAddr(r) != dnstest.AddrFor("www.bet.test") {
			t.Fatalf("round %d: staff: %v", round, r)
		}
		r = e.query(t, "127.0.0.3", "x--illegal--test.cname.test", dns.TypeA)
		if code, _ := ede(r); r.Rcode != dns.RcodeNameError || code != edeBlocked {
			t.Fatalf("round %d: staff, alias of an illegal name: %v", round, r)
		}
		if ev := e.sink.last(); !ev.Illegal || strings.Contains(ev.Rule, "illegal.test") || !strings.Contains(ev.Rule, "an alias of a blocked name") {
			t.Fatalf("round %d: illegal alias event names the entry or not the alias: %+v", round, ev)
		}
		r = e.query(t, "127.0.0.2", "www--ok--test.cname.test", dns.TypeA)
		if r.Rcode != dns.RcodeSuccess || firstAddr(r) != dnstest.AddrFor("www.ok.test") {
			t.Fatalf("round %d: alias of an allowed name: %v", round, r)
		}
	}
}
