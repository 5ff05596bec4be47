package dnsfilter

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// TestAllowNetworksDefault: without dns.allow_networks the resolver
// answers loopback and the groups' networks only; anyone else gets
// REFUSED with EDE 18 (Prohibited), nothing is forwarded or logged, and
// the refusal is counted.
func TestAllowNetworksDefault(t *testing.T) {
	e := startTest(t, nil)
	q := new(dns.Msg)
	q.SetQuestion("ok.test.", dns.TypeA)
	q.SetEdns0(1232, false)
	raw, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	before := e.up.Queries()
	for _, from := range []string{"10.9.9.9", "192.0.2.1", "2001:db8::1", "::ffff:203.0.113.5"} {
		out := e.handle(raw, from)
		var m dns.Msg
		if err := m.Unpack(out); err != nil {
			t.Fatalf("%s: %v", from, err)
		}
		if code, _ := ede(&m); m.Rcode != dns.RcodeRefused || code != edeProhibited || len(m.Answer) != 0 || m.Id != q.Id || len(m.Question) != 1 {
			t.Errorf("%s: rcode %s ede %d answers %d", from, dns.RcodeToString[m.Rcode], code, len(m.Answer))
		}
	}
	if n := e.up.Queries(); n != before {
		t.Errorf("refused queries reached the upstream (%d → %d)", before, n)
	}
	if got := counterValue(e.srv.m.byResult[resOutside]); got != 4 {
		t.Errorf("outside_networks counted %v, want 4", got)
	}
	e.sink.mu.Lock()
	if len(e.sink.events) != 0 {
		t.Errorf("refused queries logged: %+v", e.sink.events)
	}
	e.sink.mu.Unlock()
	// Loopback and a group's network are answered over a real socket.
	for _, from := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		if m := e.query(t, from, "ok.test", dns.TypeA); m.Rcode != dns.RcodeSuccess || len(m.Answer) == 0 {
			t.Errorf("%s: %s", from, dns.RcodeToString[m.Rcode])
		}
	}
}

// TestAllowNetworksListed: dns.allow_networks replaces the default, over
// UDP and TCP.
func TestAllowNetworksListed(t *testing.T) {
	e := startTest(t, func(s string) string {
		return strings.Replace(s, "  cache_size: 1000\n", "  cache_size: 1000\n  allow_networks: [127.0.0.2/32, 10.0.0.0/8]\n", 1)
	})
	for _, netw := range []string{"udp", "tcp"} {
		if m := e.exchange(t, "127.0.0.2", netw, "ok.test", dns.TypeA, true); m.Rcode != dns.RcodeSuccess {
			t.Errorf("%s from a listed network: %s", netw, dns.RcodeToString[m.Rcode])
		}
		m := e.exchange(t, "127.0.0.3", netw, "ok.test", dns.TypeA, true)
		if code, _ := ede(m); m.Rcode != dns.RcodeRefused || code != edeProhibited {
			t.Errorf("%s from an unlisted group network: %s, EDE %d", netw, dns.RcodeToString[m.Rcode], code)
		}
	}
}

// TestAllowNetworksInvalid: a bad entry is refused naming its field.
func TestAllowNetworksInvalid(t *testing.T) {
	dir := t.TempDir()
	for name, body := range testLists {
		writeFile(t, dir, name, body)
	}
	y := strings.Replace(testPolicy, "  cache_size: 1000\n", "  cache_size: 1000\n  allow_networks: [10.0.0.0/8, 10.1.0.0/33]\n", 1)
	writeFile(t, dir, "policy.yaml", strings.ReplaceAll(y, "UPSTREAM", `"127.0.0.1:1"`))
	_, err := policy.NewEngine(filepath.Join(dir, "policy.yaml"), policy.Options{DataDir: dir})
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(fmt.Sprint(err), "dns.allow_networks[1]") {
		t.Errorf("err = %v", err)
	}
}

// TestAllowNetworksReload: a reload that lists a network starts answering
// it at once, and one that drops it refuses it again.
func TestAllowNetworksReload(t *testing.T) {
	e := startTest(t, nil)
	q := new(dns.Msg)
	q.SetQuestion("ok.test.", dns.TypeA)
	raw, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	rcode := func() int {
		var m dns.Msg
		if err := m.Unpack(e.handle(raw, "10.9.9.9")); err != nil {
			t.Fatal(err)
		}
		return m.Rcode
	}
	if got := rcode(); got != dns.RcodeRefused {
		t.Fatalf("before: %s", dns.RcodeToString[got])
	}
	base := readFile(t, e.dir, "policy.yaml")
	writeFile(t, e.dir, "policy.yaml", strings.Replace(base, "  cache_size: 1000\n", "  cache_size: 1000\n  allow_networks: [10.0.0.0/8]\n", 1))
	if _, err := e.engine.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := rcode(); got != dns.RcodeSuccess {
		t.Errorf("after listing 10.0.0.0/8: %s", dns.RcodeToString[got])
	}
	writeFile(t, e.dir, "policy.yaml", base)
	if _, err := e.engine.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := rcode(); got != dns.RcodeRefused {
		t.Errorf("after dropping it: %s", dns.RcodeToString[got])
	}
}
