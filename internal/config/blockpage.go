package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// FormLimit bounds how many filter-change requests and concerns the block
// page takes from one client address, and from one person when known,
// within Window. Repeats beyond it are answered 429 and not stored.
type FormLimit struct {
	Requests int      `yaml:"requests"` // default 10
	Concerns int      `yaml:"concerns"` // default 10
	Window   Duration `yaml:"window"`   // default 10m
}

func (b *BlockPage) applyDefaults() {
	if b.RateLimit.Requests == 0 {
		b.RateLimit.Requests = 10
	}
	if b.RateLimit.Concerns == 0 {
		b.RateLimit.Concerns = 10
	}
	if b.RateLimit.Window == 0 {
		b.RateLimit.Window = Duration(10 * time.Minute)
	}
}

// Validate checks the blockpage section's values, naming the field at
// fault.
func (b *BlockPage) Validate() error {
	if b.PublicURL != "" {
		if _, err := parsePublicURL(b.PublicURL); err != nil {
			return fmt.Errorf("blockpage.public_url: %w", err)
		}
	}
	if b.Listen != "" {
		if _, _, err := net.SplitHostPort(b.Listen); err != nil {
			return fmt.Errorf("blockpage.listen: %q is not host:port", b.Listen)
		}
	}
	if b.RateLimit.Requests < 0 || b.RateLimit.Concerns < 0 {
		return fmt.Errorf("blockpage.rate_limit: requests and concerns must be positive")
	}
	return nil
}

// parsePublicURL reads an absolute http or https URL with a host and no
// query or fragment; its path ends in a slash.
func parsePublicURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%q is not a URL", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%q: want an http:// or https:// URL", s)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("%q has no host", s)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%q: want only scheme, host, port and path", s)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// BlockPageURL is the block page's own address, where the pages' forms
// post: blockpage.public_url when set; else http:// and the block-page
// listener's host and port; with no block-page listener, the proxy's
// (proxy.public_address, else its listen address), which takes the forms
// too. A listener on every address stands for dns.blockpage_ipv4.
// pageBound and proxyBound are the listeners' actual addresses (their
// ports when the policy asked for port 0), or "" to read the policy's.
func (c *Config) BlockPageURL(pageBound, proxyBound string) *url.URL {
	if c.BlockPage.PublicURL != "" {
		if u, err := parsePublicURL(c.BlockPage.PublicURL); err == nil {
			return u
		}
	}
	var addr string
	switch {
	case c.BlockPage.Listen != "":
		addr = firstOf(pageBound, c.BlockPage.Listen)
	case c.Proxy.Listen != "":
		addr = firstOf(c.Proxy.PublicAddress, proxyBound, c.Proxy.Listen)
	}
	host, port := c.DNS.BlockPageIPv4, "80"
	if h, p, err := net.SplitHostPort(addr); err == nil {
		port = p
		if a, err := netip.ParseAddr(h); err == nil && !a.IsUnspecified() {
			host = a.Unmap().String()
		} else if err != nil && h != "" {
			host = h
		}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	hp := host
	if port != "80" {
		hp = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		hp = "[" + host + "]"
	}
	return &url.URL{Scheme: "http", Host: hp, Path: "/"}
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
