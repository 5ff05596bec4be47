package config

import (
	"fmt"
	"net/netip"
)

// Proxy configures the filtering web proxy.
type Proxy struct {
	// Listen is the proxy's address; empty turns the proxy off.
	Listen string `yaml:"listen"`
	// Auth is "none" (client IP decides) or "basic" (Proxy-Authorization
	// against the user store).
	Auth  string `yaml:"auth"`
	Realm string `yaml:"realm"`
	// SessionTTL is how long a successful log-in maps its client IP to the
	// user, for the DNS resolver too.
	SessionTTL Duration `yaml:"session_ttl"`
	// AllowNetworks may use the proxy; others get 403 (no open proxy).
	// Empty means loopback and the groups' networks.
	AllowNetworks []string `yaml:"allow_networks"`
	// ConnectPorts are the ports CONNECT may reach (default 443).
	ConnectPorts []int `yaml:"connect_ports"`
	// Inspect lists the groups whose HTTPS is inspected with the school CA.
	Inspect []string `yaml:"inspect"`
	// WarnFor is how long a "Continue" on a warning page allows the site.
	WarnFor Duration `yaml:"warn_for"`
	// Hosts are fixed addresses for upstream names, like /etc/hosts
	// (internal servers on a split-horizon name; tests).
	Hosts map[string]string `yaml:"hosts"`
	// PublicAddress is the proxy's address as clients reach it, written
	// into proxy.pac (default: the PAC request's host with the listen port).
	PublicAddress string `yaml:"public_address"`
	// HeaderTimeout bounds reading a request's line and headers (slow-loris
	// clients get 408); IdleTimeout a keep-alive connection's wait for its
	// next request and any silence inside a body or tunnel;
	// UpstreamTimeout connecting to a site and waiting for its headers.
	HeaderTimeout   Duration `yaml:"header_timeout"`
	IdleTimeout     Duration `yaml:"idle_timeout"`
	UpstreamTimeout Duration `yaml:"upstream_timeout"`
	// MaxHeaderBytes bounds a request's line and headers (431 beyond).
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// AllowDestinations exempts ranges from the destination guard
	// (destinations.go).
	AllowDestinations []Network `yaml:"allow_destinations"`
}

func (p *Proxy) applyDefaults() {
	if p.Auth == "" {
		p.Auth = "none"
	}
	if p.Realm == "" {
		p.Realm = "Schoolgate"
	}
	if p.SessionTTL == 0 {
		p.SessionTTL = Duration(8 * 3600e9)
	}
	if len(p.ConnectPorts) == 0 {
		p.ConnectPorts = []int{443}
	}
	if p.WarnFor == 0 {
		p.WarnFor = Duration(3600e9)
	}
	if p.HeaderTimeout == 0 {
		p.HeaderTimeout = Duration(10e9)
	}
	if p.IdleTimeout == 0 {
		p.IdleTimeout = Duration(120e9)
	}
	if p.UpstreamTimeout == 0 {
		p.UpstreamTimeout = Duration(30e9)
	}
	if p.MaxHeaderBytes == 0 {
		p.MaxHeaderBytes = 32 << 10
	}
}

// Validate checks the proxy section's values, naming the field at fault.
func (p *Proxy) Validate() error {
	switch p.Auth {
	case "none", "basic":
	default:
		return fmt.Errorf("proxy.auth: %q (want none or basic)", p.Auth)
	}
	for i, n := range p.AllowNetworks {
		if _, err := ParseNetwork(n); err != nil {
			return fmt.Errorf("proxy.allow_networks[%d]: %w", i, err)
		}
	}
	for i, port := range p.ConnectPorts {
		if port < 1 || port > 65535 {
			return fmt.Errorf("proxy.connect_ports[%d]: %d is not a TCP port", i, port)
		}
	}
	for name, ip := range p.Hosts {
		if _, err := netip.ParseAddr(ip); err != nil {
			return fmt.Errorf("proxy.hosts.%s: %q is not an IP address", name, ip)
		}
	}
	if err := validateDestinations(p.AllowDestinations); err != nil {
		return err
	}
	if p.MaxHeaderBytes < 1024 || p.MaxHeaderBytes > 1<<20 {
		return fmt.Errorf("proxy.max_header_bytes: %d (want 1024 to 1048576)", p.MaxHeaderBytes)
	}
	return nil
}

// BlockPage is the listener that serves block pages for DNS-blocked names,
// /proxy.pac and /wpad.dat.
type BlockPage struct {
	// Listen is the block page's address; empty turns it off.
	Listen string `yaml:"listen"`
	// Contact is a line on every block page saying whom to ask (e.g.
	// "Mrs Patel, IT office, room 12").
	Contact string `yaml:"contact"`
	// PublicURL is the block page's own address as browsers reach it; the
	// pages' forms post there (see blockpage.go).
	PublicURL string `yaml:"public_url"`
	// RateLimit bounds the requests and concerns one client or person
	// may send.
	RateLimit FormLimit `yaml:"rate_limit"`
	// TLS serves the pages over HTTPS too (blockpage_tls.go).
	TLS BlockPageTLS `yaml:"tls"`
}

// Admin is the loopback listener for /metrics and health.
type Admin struct {
	Listen string `yaml:"listen"`
	// Pprof serves Go's profiles under /debug/pprof/ (off by default).
	Pprof bool `yaml:"pprof"`
}

func (a *Admin) applyDefaults() {
	if a.Listen == "" {
		a.Listen = "127.0.0.1:9153"
	}
}

// AUA is one group's acceptable-use agreement: the aua: section maps a
// group name to the current version and the file holding its text.
type AUA struct {
	Version string `yaml:"version"`
	File    string `yaml:"file"`
	Line    int    `yaml:"-"`
}
