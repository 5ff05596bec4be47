package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// The portal's walled garden: the names an unidentified device in a
// portal group may reach for real before it has signed in, so that it can
// sign in with a provider (identity.oidc). The garden is the host of each
// provider's issuer, the authorisation and token endpoints its discovery
// names (added by the sign-in page once discovered), and portal_allow: the
// provider's other hosts (its login page's scripts and fonts, a second
// factor's). Each entry covers the name and the names under it. Nothing
// else is answered for real before sign-in.

// PortalAllow is the policy file's portal_allow: host names.
type PortalAllow []string

// validate checks that every entry is a plain host name (no scheme,
// port, path or wildcard) and lower-cases it.
func (p PortalAllow) validate() error {
	for i, h := range p {
		h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
		if err := checkGardenHost(h); err != nil {
			return fmt.Errorf("portal_allow[%d]: %q %w", i, p[i], err)
		}
		p[i] = h
	}
	return nil
}

func checkGardenHost(h string) error {
	if h == "" || len(h) > 253 {
		return fmt.Errorf("is not a host name (want a name such as login.example.com)")
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return fmt.Errorf("is an address, not a host name (DNS is never asked for it)")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("is not a host name (an empty or badly formed label)")
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("is not a host name (only a-z, 0-9, - and _ in a label: no scheme, port, path or wildcard)")
			}
		}
	}
	return nil
}

// PortalGarden is the walled garden's names known from the policy alone:
// portal_allow and the hosts of identity.oidc's issuers (an issuer given
// as an address is not a name and is left out: DNS never asks for it).
func (c *Config) PortalGarden() []string {
	out := append([]string(nil), c.PortalAllow...)
	for _, p := range c.Identity.OIDC {
		if h := GardenHost(p.Issuer); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// GardenHost is rawURL's host name, lower case, or "" when it has none.
func GardenHost(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if checkGardenHost(h) != nil {
		return ""
	}
	return h
}

// InGarden reports whether name (lower case, no trailing dot) is one of
// hosts or under one.
func InGarden(hosts []string, name string) bool {
	for _, h := range hosts {
		if name == h || len(name) > len(h) && name[len(name)-len(h)-1] == '.' && strings.HasSuffix(name, h) {
			return true
		}
	}
	return false
}
