package cli

import (
	"crypto/tls"
	"fmt"
	"net"

	"schoolgate/internal/ca"
	"schoolgate/internal/config"
)

// listenerTLS is a listener's certificate: the school's own files when
// certFile is given, else one minted by the school CA (created on first
// start, its key 0600) for the name the browser asks for (or the address
// it connected to). what names the setting in errors.
func (d *serveDeps) listenerTLS(cfg *config.Config, what, certFile, keyFile string) (*tls.Config, error) {
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.Path(certFile), cfg.Path(keyFile))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
	}
	authority, err := ca.LoadOrCreate(ca.Dir(d.dataDir), cfg.Site.Name, 64, d.now)
	if err != nil {
		return nil, fmt.Errorf("%s: school CA: %w", what, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		host := hello.ServerName
		if host == "" {
			if a, ok := hello.Conn.LocalAddr().(*net.TCPAddr); ok {
				host = a.IP.String()
			}
		}
		return authority.Leaf(host)
	}}, nil
}
