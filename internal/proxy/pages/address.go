package pages

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// formURL is the block page's own address (blockpage.public_url, or the
// listener's): the pages' forms post there, never to the host of the site
// a page was shown for.
func (p *Pages) formURL() *url.URL {
	return p.o.Engine.Snapshot().Config().BlockPageURL(p.o.BlockPageAddr, p.o.ProxyAddr)
}

// formAction is the address a form for action, on a page shown in answer
// to r, posts to. Without blockpage.public_url, a page the block-page
// listener served over IPv6 (a name the DNS filter answered with
// dns.blockpage_ipv6) posts back to the address it came from: a device
// with both families then sends the form from the address the page, and
// so its token, went to.
func (p *Pages) formAction(r *http.Request, action string) string {
	u := p.formURL()
	if local, ok := localAddr(r); ok && local.Addr().Is6() && p.o.Engine.Snapshot().Config().BlockPage.PublicURL == "" {
		u.Host = local.String()
		if local.Port() == 80 {
			u.Host = "[" + local.Addr().String() + "]"
		}
	}
	return u.String() + strings.TrimPrefix(Prefix, "/") + action
}

// atFormAddress reports whether r was sent to the block page's own
// address: through the proxy (an absolute URL, or inside a tunnel) or
// straight to the block-page listener, there also by the IP address it
// came in on (without blockpage.public_url; see formAction).
func (p *Pages) atFormAddress(r *http.Request) bool {
	scheme, host := "http", r.Host
	switch {
	case r.URL.IsAbs():
		scheme, host = r.URL.Scheme, r.URL.Host
	case r.TLS != nil:
		scheme = "https"
	}
	u := p.formURL()
	got := hostPort(scheme, host)
	if got == hostPort(u.Scheme, u.Host) {
		return true
	}
	local, ok := localAddr(r)
	return ok && !r.URL.IsAbs() && p.o.Engine.Snapshot().Config().BlockPage.PublicURL == "" &&
		got == hostPort("http", local.String())
}

// localAddr is the address r came in on, when the block-page listener
// (net/http) received it.
func localAddr(r *http.Request) (netip.AddrPort, bool) {
	a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return netip.AddrPort{}, false
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
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
