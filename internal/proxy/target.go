package proxy

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"schoolgate/internal/policy"
)

// parseAuthority reads a CONNECT target, host:port. The host is a name or
// an IP literal (IPv6 in brackets); the port is required.
func parseAuthority(s string) (host string, port int, err error) {
	if s == "" || strings.ContainsAny(s, "/?#@ \t") {
		return "", 0, headErr(400, "CONNECT target is not host:port")
	}
	h, p, err := net.SplitHostPort(s)
	if err != nil || h == "" || p == "" {
		return "", 0, headErr(400, "CONNECT target is not host:port")
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 || p[0] == '+' || p[0] == '-' {
		return "", 0, headErr(400, "CONNECT target has a bad port")
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return "", 0, headErr(400, "CONNECT target has an IPv6 zone")
		}
		return a.Unmap().String(), port, nil
	}
	if strings.HasPrefix(s, "[") {
		return "", 0, headErr(400, "CONNECT target has a bad IPv6 literal")
	}
	canon, err := policy.NormalizeHost(h)
	if err != nil {
		return "", 0, headErr(400, "CONNECT target has a bad host name")
	}
	return canon, port, nil
}

// checkAbsolute validates an absolute-form proxy request target: an http
// URL with a host, no user information and a port in range.
func checkAbsolute(u *url.URL) error {
	if u.Scheme != "http" {
		return headErr(400, "only http:// URLs are proxied (use CONNECT for https)")
	}
	if u.Host == "" {
		return headErr(400, "URL without a host")
	}
	if u.User != nil {
		return headErr(400, "URL with user information")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return headErr(400, "URL has a bad port")
		}
	}
	h := u.Hostname()
	if h == "" {
		return headErr(400, "URL without a host")
	}
	if _, err := netip.ParseAddr(h); err != nil {
		if _, err := policy.NormalizeHost(h); err != nil {
			return headErr(400, "URL has a bad host name")
		}
	}
	return nil
}

// isIPLiteral reports whether host is an IP address.
func isIPLiteral(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}
