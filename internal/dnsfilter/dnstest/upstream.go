// Package dnstest is a small authoritative DNS server for tests and
// benchmarks of the resolver: it answers every name from a rule, on
// loopback, and counts what it was asked. It never contacts the network.
package dnstest

import (
	"hash/fnv"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Names with special answers:
//
//	nx.*        NXDOMAIN with an SOA (negative TTL = the SOA minimum)
//	nodata.*    NOERROR, no records, with an SOA
//	big.*       TXT records too big for 512-byte UDP (TC over UDP)
//	slow.*      answered after a 3 s delay
//	fail.*      SERVFAIL
//	X.cname.test  a CNAME to X with "--" read as "." (www--bet--test.cname.test
//	            is an alias of www.bet.test), then X's own records
//
// Every other name has one A (AddrFor) and one AAAA record, and an HTTPS
// record carrying an ECH config.
type Upstream struct {
	TTL     uint32
	udp     *dns.Server
	tcp     *dns.Server
	queries atomic.Int64
	addr    string
}

// SOAMinimum is the negative-caching TTL the SOA records carry.
const SOAMinimum = 30

// AddrFor is the IPv4 address the upstream gives name: 192.0.2.1-250,
// from a hash of the name (lower case, no trailing dot).
func AddrFor(name string) netip.Addr {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(strings.TrimSuffix(name, "."))))
	return netip.AddrFrom4([4]byte{192, 0, 2, byte(h.Sum32()%250) + 1})
}

// Start serves on addr (UDP and TCP, the same port; "127.0.0.1:0" picks
// one) with answers of the given TTL.
func Start(addr string, ttl uint32) (*Upstream, error) {
	pc, l, err := listenPair(addr)
	if err != nil {
		return nil, err
	}
	u := &Upstream{TTL: ttl, addr: pc.LocalAddr().String()}
	u.udp = &dns.Server{PacketConn: pc, Handler: u, UDPSize: 65535}
	u.tcp = &dns.Server{Listener: l, Handler: u}
	ready := make(chan struct{}, 2)
	u.udp.NotifyStartedFunc = func() { ready <- struct{}{} }
	u.tcp.NotifyStartedFunc = func() { ready <- struct{}{} }
	go u.udp.ActivateAndServe()
	go u.tcp.ActivateAndServe()
	<-ready
	<-ready
	return u, nil
}

// Addr is host:port of the server.
func (u *Upstream) Addr() string { return u.addr }

// Queries is how many queries it has answered.
func (u *Upstream) Queries() int64 { return u.queries.Load() }

// Close stops the server.
func (u *Upstream) Close() {
	u.udp.Shutdown()
	u.tcp.Shutdown()
}

// ServeDNS implements dns.Handler.
func (u *Upstream) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	u.queries.Add(1)
	m := Answer(req, u.TTL)
	if len(req.Question) == 1 && strings.HasPrefix(strings.ToLower(req.Question[0].Name), "slow.") {
		time.Sleep(3 * time.Second)
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		size := 512
		if o := req.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		m.Truncate(size)
	}
	w.WriteMsg(m)
}

// Answer builds the reply to req.
func Answer(req *dns.Msg, ttl uint32) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if o := req.IsEdns0(); o != nil {
		m.SetEdns0(o.UDPSize(), o.Do())
	}
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	if alias, ok := strings.CutSuffix(name, ".cname.test."); ok && alias != "" {
		target := strings.ReplaceAll(alias, "--", ".") + "."
		inner := new(dns.Msg)
		inner.SetQuestion(target, q.Qtype)
		a := Answer(inner, ttl)
		a.Answer = append([]dns.RR{&dns.CNAME{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: ttl}, Target: target}}, a.Answer...)
		m.Rcode, m.Answer, m.Ns = a.Rcode, a.Answer, a.Ns
		return m
	}
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Name, Rrtype: t, Class: dns.ClassINET, Ttl: ttl}
	}
	soa := &dns.SOA{
		Hdr: dns.RR_Header{Name: "test.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:  "ns.test.", Mbox: "hostmaster.test.", Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: SOAMinimum,
	}
	switch {
	case strings.HasPrefix(name, "fail."):
		m.Rcode = dns.RcodeServerFailure
		return m
	case strings.HasPrefix(name, "nx."):
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{soa}
		return m
	case strings.HasPrefix(name, "nodata."):
		m.Ns = []dns.RR{soa}
		return m
	}
	switch q.Qtype {
	case dns.TypeA:
		m.Answer = []dns.RR{&dns.A{Hdr: hdr(dns.TypeA), A: AddrFor(name).AsSlice()}}
	case dns.TypeAAAA:
		a := AddrFor(name).As4()
		ip := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: a[2], 15: a[3]})
		m.Answer = []dns.RR{&dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: ip.AsSlice()}}
	case dns.TypeHTTPS:
		h := &dns.HTTPS{SVCB: dns.SVCB{Hdr: hdr(dns.TypeHTTPS), Priority: 1, Target: "."}}
		h.Value = []dns.SVCBKeyValue{
			&dns.SVCBMandatory{Code: []dns.SVCBKey{dns.SVCB_ALPN, dns.SVCB_ECHCONFIG}},
			&dns.SVCBAlpn{Alpn: []string{"h2", "http/1.1"}},
			&dns.SVCBECHConfig{ECH: []byte{0xfe, 0x0d, 0, 4, 1, 2, 3, 4}},
		}
		m.Answer = []dns.RR{h}
	case dns.TypeTXT:
		n := 1
		if strings.HasPrefix(name, "big.") {
			n = 40
		}
		for i := range n {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: []string{strings.Repeat("x", 60) + strconv.Itoa(i)}})
		}
	default:
		m.Ns = []dns.RR{soa}
	}
	return m
}

// listenPair binds UDP at addr and TCP on the same port. When the system
// picks the port (":0") and another process holds its TCP twin, it tries
// another.
func listenPair(addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	for try := 1; ; try++ {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, err
		}
		p := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return pc, l, nil
		}
		pc.Close()
		if port != "0" || try == 20 {
			return nil, nil, err
		}
	}
}
