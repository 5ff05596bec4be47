package policy

import (
	"fmt"
	"net/url"
	"strings"

	"schoolgate/internal/policy/lists"
)

// Target is a parsed URL or host, ready for Decide.
type Target struct {
	Host string // canonical
	Path string // path and query, "" for a bare host
}

// ParseTarget reads a URL or a host. A target without a scheme is read as
// http://.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Target{}, fmt.Errorf("%w: empty", ErrBadTarget)
	}
	raw := s
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return Target{}, fmt.Errorf("%w: %q is not a URL or host", ErrBadTarget, raw)
	}
	h, err := lists.NormalizeHost(u.Host)
	if err != nil {
		return Target{}, fmt.Errorf("%w: %q: %v", ErrBadTarget, raw, err)
	}
	t := Target{Host: h}
	if p := u.EscapedPath(); p != "" || u.RawQuery != "" {
		if p == "" {
			p = "/"
		}
		t.Path = p
		if u.RawQuery != "" {
			t.Path += "?" + u.RawQuery
		}
	}
	return t, nil
}

// NormalizeHost is lists.NormalizeHost, for callers outside the policy.
func NormalizeHost(h string) (string, error) { return lists.NormalizeHost(h) }
