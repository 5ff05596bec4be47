package pages

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// formURL is the block page's own address (blockpage.public_url, or the
// listener's): the pages' forms post there, never to the host of the site
// a page was shown for.
func (p *Pages) formURL() *url.URL {
	return p.o.Engine.Snapshot().Config().BlockPageURL(p.o.BlockPageAddr, p.o.ProxyAddr)
}

// formAction is the address a form for action posts to.
func (p *Pages) formAction(action string) string {
	return p.formURL().String() + strings.TrimPrefix(Prefix, "/") + action
}

// atFormAddress reports whether r was sent to the block page's own
// address: through the proxy (an absolute URL, or inside a tunnel) or
// straight to the block-page listener.
func (p *Pages) atFormAddress(r *http.Request) bool {
	scheme, host := "http", r.Host
	switch {
	case r.URL.IsAbs():
		scheme, host = r.URL.Scheme, r.URL.Host
	case r.TLS != nil:
		scheme = "https"
	}
	u := p.formURL()
	return hostPort(scheme, host) == hostPort(u.Scheme, u.Host)
}

// hostPort is host:port in lower case with the scheme's port filled in.
func hostPort(scheme, hp string) string {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		host, port = strings.Trim(hp, "[]"), "80"
		if scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(strings.TrimSuffix(host, ".")), port)
}

// origin is a URL's origin as a browser sends it in Origin (no default
// port), or "" when raw is not a web URL.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	host := u.Host
	if p := u.Port(); (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
		host = strings.TrimSuffix(host, ":"+p)
	}
	return u.Scheme + "://" + strings.ToLower(host)
}
