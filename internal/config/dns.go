package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DNS configures the filtering resolver (`schoolgate serve`).
type DNS struct {
	// Listen are the addresses served on UDP and TCP. Port 53 needs
	// privileges (root or CAP_NET_BIND_SERVICE).
	Listen []string `yaml:"listen"`
	// Upstreams are tried in order, failing over: "host:port" (plain
	// UDP, TCP on truncation), "tcp://host:port", "tls://host:853" (DoT)
	// or "https://host/dns-query" (DoH).
	Upstreams       []string  `yaml:"upstreams"`
	BlockResponse   BlockMode `yaml:"block_response"`   // blockpage | nxdomain | null
	IllegalResponse BlockMode `yaml:"illegal_response"` // nxdomain (default) | null | blockpage
	BlockPageIPv4   string    `yaml:"blockpage_ipv4"`
	BlockPageIPv6   string    `yaml:"blockpage_ipv6"`
	LogQueries      *bool     `yaml:"log_queries"`
	CacheSize       int       `yaml:"cache_size"`
	Timeout         Duration  `yaml:"timeout"`
	// RateLimit is queries per second per client IP; 0 (default) is off,
	// since school networks sit behind NAT.
	RateLimit int `yaml:"rate_limit"`
	// MaxFilteredTTL caps answer TTLs for filtered groups (default 60s).
	MaxFilteredTTL Duration `yaml:"max_filtered_ttl"`
	// UpstreamCA is an optional PEM file of extra CA certificates trusted
	// for tls:// and https:// upstreams (a private resolver).
	UpstreamCA string `yaml:"upstream_ca"`
	// AllowNetworks may query; others get REFUSED (clients.go).
	AllowNetworks []Network `yaml:"allow_networks"`
}

// BlockMode is how a blocked name is answered: "blockpage", "nxdomain"
// or "null". YAML reads a bare null as no value; here it means the mode.
type BlockMode string

func (b *BlockMode) decodeNode(d *decoder, n *yaml.Node, path string) error {
	if n.Kind != yaml.ScalarNode {
		return d.errf(n, path, "expected blockpage, nxdomain or null")
	}
	switch n.Value {
	case "blockpage", "nxdomain", "null":
		*b = BlockMode(n.Value)
		return nil
	case "", "~":
		return nil
	}
	return d.errf(n, path, "unknown value %q (want blockpage, nxdomain or null)", n.Value)
}

func (d *DNS) applyDefaults() {
	if d.BlockResponse == "" {
		d.BlockResponse = "blockpage"
	}
	if d.IllegalResponse == "" {
		d.IllegalResponse = "nxdomain"
	}
	if d.BlockPageIPv4 == "" {
		d.BlockPageIPv4 = "127.0.0.1"
	}
	if d.BlockPageIPv6 == "" {
		d.BlockPageIPv6 = "::1"
	}
	if d.LogQueries == nil {
		t := true
		d.LogQueries = &t
	}
	if d.CacheSize == 0 {
		d.CacheSize = 10000
	}
	if d.Timeout == 0 {
		d.Timeout = Duration(2e9)
	}
	if d.MaxFilteredTTL == 0 {
		d.MaxFilteredTTL = Duration(60e9)
	}
}

// Validate checks the dns: section's values; errors name the field.
func (d *DNS) Validate() error {
	for _, m := range []struct{ field, v string }{
		{"dns.block_response", string(d.BlockResponse)},
		{"dns.illegal_response", string(d.IllegalResponse)},
	} {
		switch m.v {
		case "blockpage", "nxdomain", "null":
		default:
			return fmt.Errorf("%w: %s: unknown value %q (want blockpage, nxdomain or null)", ErrInvalid, m.field, m.v)
		}
	}
	if a, err := netip.ParseAddr(d.BlockPageIPv4); err != nil || !a.Is4() {
		return fmt.Errorf("%w: dns.blockpage_ipv4: %q is not an IPv4 address", ErrInvalid, d.BlockPageIPv4)
	}
	if a, err := netip.ParseAddr(d.BlockPageIPv6); err != nil || !a.Is6() || a.Is4In6() {
		return fmt.Errorf("%w: dns.blockpage_ipv6: %q is not an IPv6 address", ErrInvalid, d.BlockPageIPv6)
	}
	for i, l := range d.Listen {
		if _, _, err := net.SplitHostPort(l); err != nil {
			return fmt.Errorf("%w: dns.listen[%d]: %q: want host:port (%v)", ErrInvalid, i, l, err)
		}
	}
	if err := validateDNSAllow(d.AllowNetworks); err != nil {
		return err
	}
	for i, u := range d.Upstreams {
		if err := checkUpstream(u); err != nil {
			return fmt.Errorf("%w: dns.upstreams[%d]: %q: %v", ErrInvalid, i, u, err)
		}
	}
	switch {
	case d.CacheSize < 0:
		return fmt.Errorf("%w: dns.cache_size: must not be negative", ErrInvalid)
	case d.RateLimit < 0:
		return fmt.Errorf("%w: dns.rate_limit: must not be negative", ErrInvalid)
	case d.Timeout.D() < 1e6:
		return fmt.Errorf("%w: dns.timeout: %s is too short", ErrInvalid, d.Timeout.D())
	case d.MaxFilteredTTL.D() < 1e9:
		return fmt.Errorf("%w: dns.max_filtered_ttl: must be at least 1s", ErrInvalid)
	}
	return nil
}

func checkUpstream(u string) error {
	if !strings.Contains(u, "://") {
		return nil // host or host:port; resolved when dialled
	}
	p, err := url.Parse(u)
	if err != nil {
		return err
	}
	switch p.Scheme {
	case "udp", "tcp", "tls":
		if p.Host == "" {
			return fmt.Errorf("no host")
		}
		if p.Path != "" && p.Path != "/" {
			return fmt.Errorf("a %s:// upstream takes no path", p.Scheme)
		}
	case "https":
		if p.Host == "" {
			return fmt.Errorf("no host")
		}
	default:
		return fmt.Errorf("unknown scheme %q (want host:port, tcp://, tls:// or https://)", p.Scheme)
	}
	return nil
}
