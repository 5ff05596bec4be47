package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"syscall"

	"schoolgate/internal/proxy/pages"
)

// unreachableCause says why err kept the proxy from a site, and the
// status to answer with: 504 for a timeout, else 502.
func unreachableCause(err error) (int, pages.Cause) {
	var dnsErr *net.DNSError
	var ne net.Error
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	var invalidErr x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return http.StatusBadGateway, pages.CauseNotFound
	case errors.As(err, &dnsErr) && dnsErr.IsTimeout,
		errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return http.StatusGatewayTimeout, pages.CauseTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return http.StatusBadGateway, pages.CauseRefused
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &authErr), errors.As(err, &invalidErr),
		errors.As(err, &recErr), errors.As(err, &alert):
		return http.StatusBadGateway, pages.CauseTLS
	}
	return http.StatusBadGateway, pages.CauseOther
}

// writeUnreachable answers a request whose site could not be reached with
// a page that says why in plain words, counts it, and closes the
// connection. The system log gets the cause, not the host (who visited
// what is for the activity log).
func (c *conn) writeUnreachable(req *http.Request, host string, err error) bool {
	status, cause := unreachableCause(err)
	if status == http.StatusGatewayTimeout {
		c.s.m.failed(errUpstreamTimeout)
	} else {
		c.s.m.failed(errUpstreamUnreachable)
	}
	c.s.d.Log.Info("proxy: site unreachable", "cause", cause.String(), "status", status)
	if c.s.d.Pages == nil {
		_, text := pages.UnreachableText(host, cause)
		return c.writeSimple(closing(req), status, text, nil)
	}
	m := newMemResponse()
	c.s.d.Pages.Unreachable(m, status, host, cause)
	return c.writeMem(closing(req), m)
}
