// Package lists reads category list files (domains, hosts, adblock, urls and
// UT1 folders) into entries. Junk lines are skipped, counted and reported
// with file and line; they never stop a load.
package lists

import (
	"errors"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrBadHost is returned by NormalizeHost for a name that cannot be matched.
var ErrBadHost = errors.New("not a valid host name")

var idnaProfile = idna.Lookup

// NormalizeHost returns the canonical form of a host as lists and targets
// are compared: lower case, no port, no trailing dot, no leading "*.", IDNs
// in punycode (UTS 46 lookup profile), IP literals in canonical form. It
// allocates only when the input is not already canonical.
func NormalizeHost(h string) (string, error) {
	if h == "" {
		return "", ErrBadHost
	}
	if h[0] == '[' { // [v6]:port or [v6]
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", ErrBadHost
		}
		a, err := netip.ParseAddr(h[1:end])
		if err != nil {
			return "", ErrBadHost
		}
		return a.Unmap().String(), nil
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		if strings.IndexByte(h[:i], ':') >= 0 { // bare IPv6
			a, err := netip.ParseAddr(h)
			if err != nil {
				return "", ErrBadHost
			}
			return a.Unmap().String(), nil
		}
		h = h[:i] // host:port
	}
	h = strings.TrimSuffix(h, ".")
	h = strings.TrimPrefix(h, "*.")
	if h == "" || len(h) > 253 {
		return "", ErrBadHost
	}
	if isCanonicalASCII(h) {
		if looksLikeIPv4(h) {
			if a, err := netip.ParseAddr(h); err == nil {
				return a.String(), nil
			}
		}
		return h, nil
	}
	ascii := true
	for i := 0; i < len(h); i++ {
		if h[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		l := strings.ToLower(h)
		if isCanonicalASCII(l) {
			return l, nil
		}
		return "", ErrBadHost
	}
	a, err := idnaProfile.ToASCII(h)
	if err != nil || !isCanonicalASCII(a) {
		return "", ErrBadHost
	}
	return a, nil
}

// isCanonicalASCII reports whether h is made of lower-case LDH labels (with
// underscores allowed, as real lists hold them), none empty or over 63.
func isCanonicalASCII(h string) bool {
	label := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			label++
			if label > 63 {
				return false
			}
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
		default:
			return false
		}
	}
	return label > 0
}

func looksLikeIPv4(h string) bool {
	c := h[len(h)-1]
	return c >= '0' && c <= '9' && strings.Count(h, ".") == 3
}

// StripWWW drops one leading "www.", "wwwN.", "web." or "ftp." label, the
// way squidGuard reads UT1 urls files, but only when a dotted name remains
// (so "web.de" stays "web.de").
func StripWWW(h string) string {
	dot := strings.IndexByte(h, '.')
	if dot <= 0 || strings.IndexByte(h[dot+1:], '.') < 0 {
		return h
	}
	label := h[:dot]
	switch {
	case label == "web", label == "ftp", label == "www":
	case strings.HasPrefix(label, "www") && allDigits(label[3:]):
	default:
		return h
	}
	return h[dot+1:]
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IsIP reports whether a normalized host is an IP literal.
func IsIP(h string) bool {
	if h == "" {
		return false
	}
	if strings.IndexByte(h, ':') >= 0 {
		return true
	}
	return looksLikeIPv4(h) && isIPv4(h)
}

func isIPv4(h string) bool {
	a, err := netip.ParseAddr(h)
	return err == nil && a.Is4()
}
