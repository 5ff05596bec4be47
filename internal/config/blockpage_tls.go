package config

import (
	"fmt"
	"net"
)

// BlockPageTLS serves the block page, and the devices' sign-in page, over
// HTTPS on a listener of its own: passwords that are also the school's
// Microsoft, Google or Active Directory passwords must not cross the
// network in clear. The certificate is the given files, else one minted
// by the school CA for the name the device asked for (devices must then
// trust the school CA, as for proxy.inspect).
type BlockPageTLS struct {
	// Listen is the HTTPS address (e.g. ":443"); empty: no HTTPS.
	Listen   string `yaml:"listen"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// On reports whether the pages are served over HTTPS.
func (t BlockPageTLS) On() bool { return t.Listen != "" }

func (t BlockPageTLS) validate() error {
	if t.Listen == "" {
		if t.CertFile != "" || t.KeyFile != "" {
			return fmt.Errorf("blockpage.tls: cert_file and key_file need listen (the HTTPS address)")
		}
		return nil
	}
	if _, _, err := net.SplitHostPort(t.Listen); err != nil {
		return fmt.Errorf("blockpage.tls.listen: %q is not host:port", t.Listen)
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return fmt.Errorf("blockpage.tls: give both cert_file and key_file, or neither for the school CA")
	}
	return nil
}

// PortalPasswordsInClear reports whether the sign-in page takes the
// directory's (LDAP) passwords over plain HTTP: a portal group, identity.password:
// ldap and no blockpage.tls. validate warns about it.
func (c *Config) PortalPasswordsInClear() bool {
	return c.HasPortal() && c.Identity.Password == "ldap" && !c.BlockPage.TLS.On()
}
