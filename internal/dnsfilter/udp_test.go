package dnsfilter

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// burst sends n queries from one UDP socket bound to from without waiting,
// then reads every answer: the readers take them in batches, a batch
// mixing cache hits, blocks and misses (which finish on goroutines of
// their own). name(i) gives query i's name.
func burst(t *testing.T, addr, from string, n int, name func(int) string) map[uint16]*dns.Msg {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(from)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadBuffer(1 << 20)
	to := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr))
	for i := range n {
		m := new(dns.Msg)
		m.SetQuestion(name(i), dns.TypeA)
		m.Id = uint16(i)
		if i%2 == 0 {
			m.SetEdns0(1232, false)
		}
		wire, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.WriteToUDP(wire, to); err != nil {
			t.Fatal(err)
		}
	}
	got := map[uint16]*dns.Msg{}
	buf := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(got) < n {
		k, err := c.Read(buf)
		if err != nil {
			t.Fatalf("%s: %d of %d answers: %v", from, len(got), n, err)
		}
		m := new(dns.Msg)
		if err := m.Unpack(buf[:k]); err != nil {
			t.Fatalf("%s: bad answer: %v", from, err)
		}
		if got[m.Id] != nil {
			t.Fatalf("%s: two answers with ID %d", from, m.Id)
		}
		got[m.Id] = m
	}
	return got
}

// TestUDPBurst checks that answers under load go to the client that asked,
// with its own ID and question, and the client's groups decide: pupils
// get the block page for gambling names, staff the upstream's answer.
func TestUDPBurst(t *testing.T) {
	e := startTest(t, nil)
	name := func(i int) string {
		switch i % 4 {
		case 0:
			return "gambling.test."
		case 1:
			return fmt.Sprintf("miss%d.burst.test.", i) // a new name: upstream
		default:
			return fmt.Sprintf("Hit%d.Burst.test.", i%16) // repeated: the cache
		}
	}
	var wg sync.WaitGroup
	for _, from := range []string{"127.0.0.2", "127.0.0.3"} {
		wg.Go(func() {
			got := burst(t, e.addr, from, 400, name)
			for id, m := range got {
				want := name(int(id))
				if len(m.Question) != 1 || m.Question[0].Name != want {
					t.Errorf("%s: ID %d answered %v, want %s", from, id, m.Question, want)
					continue
				}
				if m.Rcode != dns.RcodeSuccess {
					t.Errorf("%s %s: %s", from, want, dns.RcodeToString[m.Rcode])
					continue
				}
				if (m.IsEdns0() != nil) != (id%2 == 0) {
					t.Errorf("%s %s: EDNS in the answer %v, in the query %v", from, want, m.IsEdns0() != nil, id%2 == 0)
				}
				wantAddr := dnstestAddr(want)
				if from == "127.0.0.2" && strings.HasPrefix(want, "gambling") {
					wantAddr = "127.0.0.1"
				}
				if a := firstAddr(m).String(); a != wantAddr {
					t.Errorf("%s %s: %v, want %v", from, want, a, wantAddr)
				}
			}
		})
	}
	wg.Wait()
	// The logged names are the asked ones (a request's name buffer is
	// reused: the event must hold a copy).
	asked := map[string]bool{}
	for i := range 400 {
		asked[strings.ToLower(strings.TrimSuffix(name(i), "."))] = true
	}
	e.sink.mu.Lock()
	defer e.sink.mu.Unlock()
	if len(e.sink.events) < 800 {
		t.Errorf("%d events logged, want 800", len(e.sink.events))
	}
	for _, ev := range e.sink.events {
		if !asked[ev.Host] {
			t.Errorf("logged host %q was never asked", ev.Host)
			break
		}
	}
}

// TestUDPIPv6 serves on ::1: the client address read off the socket is an
// IPv6 one and the answer goes back to it.
func TestUDPIPv6(t *testing.T) {
	if c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback}); err != nil {
		t.Skip("no IPv6 loopback:", err)
	} else {
		c.Close()
	}
	e := startTest(t, func(s string) string {
		return strings.Replace(s, `listen: ["127.0.0.1:0"]`, `listen: ["[::1]:0"]`, 1)
	})
	got := burst(t, e.addr, "::1", 50, func(i int) string { return fmt.Sprintf("v6-%d.test.", i%5) })
	for id, m := range got {
		if a := firstAddr(m).String(); a != dnstestAddr(m.Question[0].Name) {
			t.Errorf("ID %d: %v", id, a)
		}
	}
	if ev := e.sink.last(); ev.Client != netip.MustParseAddr("::1") {
		t.Errorf("logged client %v, want ::1", ev.Client)
	}
}
