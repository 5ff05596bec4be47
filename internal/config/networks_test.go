package config

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

const networksBase = `site: {name: X, timezone: UTC}
groups:
  pupils: {networks: [10.20.0.0/16]}
  staff: {networks: [10.10.0.0/16]}
default_group: pupils
default: allow
`

// TestNetworkListsNameFileLineField: a bad entry in
// proxy.allow_destinations or dns.allow_networks is reported with the
// file, its line and the field; good ones load.
func TestNetworkListsNameFileLineField(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"proxy:\n  allow_destinations: [127.0.0.1/32, 10.0.0.0/33]\n", "policy.yaml:8: proxy.allow_destinations[1]"},
		{"dns:\n  allow_networks:\n    - 10.0.0.0/8\n    - school-lan\n", "policy.yaml:10: dns.allow_networks[1]"},
		{"dns:\n  allow_networks: [{a: b}]\n", "policy.yaml:8: dns.allow_networks[0]"},
		{"proxy:\n  allow_destinations: 10.0.0.0/99\n", "proxy.allow_destinations[0]"},
	} {
		_, err := Parse("policy.yaml", "/school/policy.yaml", []byte(networksBase+tc.yaml))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %s", tc.yaml, err, tc.want)
		}
	}
	c, err := Parse("policy.yaml", "/school/policy.yaml", []byte(networksBase+"proxy:\n  allow_destinations: [127.0.0.2/32, \"::1\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Proxy.AllowDestinations; len(got) != 2 || got[1] != "::1" {
		t.Errorf("allow_destinations = %v", got)
	}
}

// TestDNSClients: dns.allow_networks replaces the default of loopback and
// the groups' networks.
func TestDNSClients(t *testing.T) {
	c, err := Parse("policy.yaml", "/school/policy.yaml", []byte(networksBase))
	if err != nil {
		t.Fatal(err)
	}
	def := c.DNSClients()
	for _, a := range []string{"127.0.0.1", "::1", "10.20.1.1", "10.10.1.1", "::ffff:10.20.1.1"} {
		if !ContainsAddr(def, netip.MustParseAddr(a)) {
			t.Errorf("default refuses %s", a)
		}
	}
	for _, a := range []string{"10.30.0.1", "192.0.2.1", "2001:db8::1"} {
		if ContainsAddr(def, netip.MustParseAddr(a)) {
			t.Errorf("default admits %s", a)
		}
	}
	c, err = Parse("policy.yaml", "/school/policy.yaml", []byte(networksBase+"dns:\n  allow_networks: [10.30.0.0/16]\n"))
	if err != nil {
		t.Fatal(err)
	}
	listed := c.DNSClients()
	if !ContainsAddr(listed, netip.MustParseAddr("10.30.0.1")) || ContainsAddr(listed, netip.MustParseAddr("10.20.1.1")) || ContainsAddr(listed, netip.MustParseAddr("127.0.0.1")) {
		t.Errorf("listed networks: %v", listed)
	}
}
