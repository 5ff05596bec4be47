package cli

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"

	"schoolgate/internal/config"
)

// blockPageTLSService serves the block page and the devices' sign-in page
// over HTTPS on blockpage.tls.listen (bound by proxyServices), under the
// block page's netguard, with the given files' certificate or one the
// school CA mints for the name the device asked for.
func (d *serveDeps) blockPageTLSService(cfg *config.Config, ln net.Listener, h http.Handler) (service, error) {
	conf, err := d.blockPageTLSConfig(cfg)
	if err != nil {
		return nil, err
	}
	g, err := d.guard("blockpage-tls", nil)
	if err != nil {
		return nil, err
	}
	gl := g.Wrap(ln)
	d.log.Info("block page listening (HTTPS)", "addr", gl.Addr().String())
	return &listenerService{name: "blockpage-tls", ln: tls.NewListener(gl, conf), srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}}, nil
}

func (d *serveDeps) blockPageTLSConfig(cfg *config.Config) (*tls.Config, error) {
	return d.listenerTLS(cfg, "blockpage.tls", cfg.BlockPage.TLS.CertFile, cfg.BlockPage.TLS.KeyFile)
}
