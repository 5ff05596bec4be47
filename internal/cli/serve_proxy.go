package cli

import (
	"fmt"
	"net/http"
	"time"

	"schoolgate/internal/ca"
	"schoolgate/internal/cli/proxystore"
	"schoolgate/internal/oidcflow/oidcstore"
	"schoolgate/internal/proxy"
	"schoolgate/internal/proxy/pages"
)

// proxyServices builds the web proxy (proxy.listen) and the block-page
// listener (blockpage.listen); an empty address turns that listener off.
// Both listeners are bound here, before serve reports ready, and first of
// all: the block page's forms post to one of their addresses. Each is then
// put under its netguard (the proxy's closes clients outside
// proxy.allow_networks at accept).
func (d *serveDeps) proxyServices() (services []service, err error) {
	cfg := d.engine.Snapshot().Config()
	if cfg.Proxy.Listen == "" && cfg.BlockPage.Listen == "" {
		d.log.Info("proxy.listen and blockpage.listen are empty: the web proxy and block page are off")
		return nil, nil
	}
	if err := cfg.Proxy.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.File, err)
	}
	pageLn, err := listenIf(cfg.BlockPage.Listen, "block page")
	if err != nil {
		return nil, err
	}
	proxyLn, err := listenIf(cfg.Proxy.Listen, "proxy")
	if err != nil {
		closeIf(pageLn)
		return nil, err
	}
	tlsLn, err := listenIf(cfg.BlockPage.TLS.Listen, "block page (HTTPS)")
	if err != nil {
		closeIf(pageLn)
		closeIf(proxyLn)
		return nil, err
	}
	defer func() {
		if err != nil {
			closeIf(pageLn)
			closeIf(proxyLn)
			closeIf(tlsLn)
		}
	}()
	opt := pages.Options{Engine: d.engine, Activity: d.activity, Log: d.log, Now: d.now, Directory: d.directory(), Sessions: d.sessions}
	opt.BlockPageAddr, opt.ProxyAddr, opt.BlockPageTLSAddr = addrOf(pageLn), addrOf(proxyLn), addrOf(tlsLn)
	opt.OIDCStore = oidcstore.New(d.st.store) // the sign-in page's provider buttons
	if b := d.proxyBackends(); b != nil {
		opt.Requests, opt.Concerns, opt.Continues, opt.Agreements = b.requests, b.concerns, b.continues, b.agreements
		if opt.TokenKey, err = formTokenKey(d.st.store); err != nil {
			return nil, err
		}
	}
	pg, err := pages.New(opt)
	if err != nil {
		return nil, err
	}
	d.log.Info("block page forms post to its own address", "url", cfg.BlockPageURL(opt.BlockPageAddr, opt.ProxyAddr).String())
	if proxyLn != nil {
		var authority *ca.Authority
		if len(cfg.Proxy.Inspect) > 0 {
			authority, err = ca.LoadOrCreate(ca.Dir(d.dataDir), cfg.Site.Name, 4096, d.now)
			if err != nil {
				return nil, fmt.Errorf("proxy.inspect: %w", err)
			}
		}
		srv, err := proxy.New(proxy.Deps{
			Engine: d.engine, Identity: d.ident, Directory: d.directory(), Activity: d.activity,
			Pages: pg, CA: authority, Log: d.log, Now: d.now, Registerer: d.registry,
			Probes: d.probeVerifier(),
		})
		if err != nil {
			return nil, err
		}
		g, err := d.guard("proxy", srv.Allowed)
		if err != nil {
			return nil, err
		}
		ln := g.Wrap(proxyLn)
		d.log.Info("proxy listening", "addr", ln.Addr().String(), "auth", cfg.Proxy.Auth, "inspect", cfg.Proxy.Inspect)
		services = append(services, &listenerService{name: "proxy", ln: ln, srv: srv})
	}
	if pageLn != nil {
		g, err := d.guard("blockpage", nil)
		if err != nil {
			return nil, err
		}
		ln := g.Wrap(pageLn)
		d.log.Info("block page listening", "addr", ln.Addr().String())
		h := pg.BlockPageHandler(proxy.VisitorFunc(d.engine, d.ident))
		if tlsLn != nil {
			s, err := d.blockPageTLSService(cfg, tlsLn, h)
			if err != nil {
				return nil, err
			}
			services = append(services, s)
		}
		services = append(services, &listenerService{name: "blockpage", ln: ln, srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    32 << 10,
		}})
	}
	return services, nil
}

// proxyBackends are the storage parts the pages and log-ins use.
type proxyBackends struct {
	requests   pages.Requests
	concerns   pages.Concerns
	continues  pages.Continues
	agreements pages.Agreements
}

// proxyBackends returns the storage the proxy's pages and log-ins use, or
// nil when serve runs without storage.
func (d *serveDeps) proxyBackends() *proxyBackends {
	if d.st.store == nil {
		return nil
	}
	b := &proxyBackends{}
	b.requests, b.concerns, b.continues, b.agreements = proxystore.Backends(d.st.store, d.nodeSite())
	b.concerns = d.alertConcerns(b.concerns)
	return b
}
