package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"schoolgate/internal/identity"
)

// errReason reduces an error met on a pupil's request to its kind, for the
// system log. Network, DNS and certificate errors spell out the site's
// name or address, and the README promises the system log names neither
// who nor where: that is the activity log's job, found by the reference.
func errReason(err error) string {
	var dnsErr *net.DNSError
	var ne net.Error
	var unknownCA x509.UnknownAuthorityError
	var badName x509.HostnameError
	var badCert x509.CertificateInvalidError
	var notTLS tls.RecordHeaderError
	var oe *net.OpError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, errDestination):
		return destRule(err)
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "name not found"
		}
		return "name lookup failed"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "unreachable"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed early"
	case errors.As(err, &oe) && oe.Op == "remote error" && oe.Addr == nil && oe.Source == nil:
		return oe.Error() // a TLS alert from the client: "remote error: tls: unknown certificate authority"
	case errors.As(err, &notTLS):
		return "not TLS"
	case errors.As(err, &unknownCA):
		return "certificate from an unknown authority"
	case errors.As(err, &badName):
		return "certificate for another name"
	case errors.As(err, &badCert):
		return "certificate invalid"
	case errors.Is(err, identity.ErrBadCredentials):
		return "wrong username or password"
	case errors.Is(err, identity.ErrDisabled):
		return "account disabled"
	case errors.Is(err, identity.ErrNotFound):
		return "no such user"
	}
	// Unknown: its type says where it came from without its text.
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return fmt.Sprintf("%T", err)
		}
		err = u
	}
}
