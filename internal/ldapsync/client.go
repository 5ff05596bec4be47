// Package ldapsync reads the school's directory (Active Directory or any
// LDAP server): the people for `users sync`, and password checks by bind
// for identity.password: ldap. Passwords never cross the network in
// clear: ldaps:// or StartTLS (plain only on loopback, for tests).
package ldapsync

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/go-ldap/ldap/v3"

	"schoolgate/internal/config"
)

// ErrUnavailable: the directory could not be reached or would not answer
// (nothing is changed because of it).
var ErrUnavailable = errors.New("the directory is unavailable")

// Client talks to one directory.
type Client struct {
	cfg      config.LDAP
	password string
	tls      *tls.Config
	host     string
}

// New makes a Client; path resolves the policy's relative file names.
func New(cfg config.LDAP, path func(string) string) (*Client, error) {
	pw, err := cfg.BindPassword(path)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("identity.ldap: url: %w", err)
	}
	tc := &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(path(cfg.CAFile))
		if err != nil {
			return nil, fmt.Errorf("identity.ldap: ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("identity.ldap: ca_file %s holds no certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	return &Client{cfg: cfg, password: pw, tls: tc, host: u.Host}, nil
}

// dial connects (TLS from the start, or StartTLS) and binds as the
// service account.
func (c *Client) dial(ctx context.Context) (*ldap.Conn, error) {
	timeout := c.cfg.Timeout.D()
	d := &net.Dialer{Timeout: timeout}
	conn, err := ldap.DialURL(c.cfg.URL, ldap.DialWithDialer(d), ldap.DialWithTLSConfig(c.tls))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, c.host, err)
	}
	conn.SetTimeout(timeout)
	u, _ := url.Parse(c.cfg.URL)
	if u.Scheme == "ldap" && !c.cfg.InsecurePlain {
		if err := conn.StartTLS(c.tls); err != nil {
			conn.Close()
			return nil, fmt.Errorf("%w: %s: StartTLS: %w", ErrUnavailable, c.host, err)
		}
	}
	if err := conn.Bind(c.cfg.BindDN, c.password); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w: %s: the service account's bind failed: %w", ErrUnavailable, c.host, err)
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		conn.SetTimeout(time.Until(dl))
	}
	return conn, nil
}

// CheckPassword binds as the person named username (found by the
// username attribute under the staff and pupil bases). A wrong password
// is (false, nil); an unreachable directory an error. An empty password
// is always false: an LDAP bind without one is anonymous and "succeeds".
func (c *Client) CheckPassword(ctx context.Context, username, password string) (bool, error) {
	if password == "" || username == "" {
		return false, nil
	}
	conn, err := c.dial(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	dn := ""
	for _, s := range c.cfg.Searches() {
		res, err := conn.Search(ldap.NewSearchRequest(s.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 2, 0, false,
			fmt.Sprintf("(&%s(%s=%s))", s.Filter, ldap.EscapeFilter(c.cfg.Attributes.Username), ldap.EscapeFilter(username)), []string{"1.1"}, nil))
		if err != nil {
			return false, fmt.Errorf("%w: search: %w", ErrUnavailable, err)
		}
		if len(res.Entries) == 1 {
			dn = res.Entries[0].DN
			break
		}
	}
	if dn == "" {
		return false, nil
	}
	err = conn.Bind(dn, password)
	if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%w: bind: %w", ErrUnavailable, err)
	}
	return true, nil
}
