package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/console"
	"schoolgate/internal/policy"
	"schoolgate/internal/safeguarding"
)

// consoleServices builds the safeguarding console (console.listen; empty
// turns it off). It prints its address on standard output and, while
// nobody can sign in to it, a one-time set-up link: on standard output
// only, never into the log.
func (d *serveDeps) consoleServices() ([]service, error) {
	cfg := d.engine.Snapshot().Config()
	cc := cfg.Console
	if cc.Listen == "" {
		d.log.Info("console.listen is empty: the safeguarding console is off")
		return nil, nil
	}
	if d.st.store == nil {
		return nil, fmt.Errorf("console: %w", console.ErrNoStore)
	}
	if err := safeguarding.CheckSanctions(cfg); err != nil {
		return nil, err
	}
	d.engine.OnReload(func(s *policy.Snapshot) {
		if err := safeguarding.CheckSanctions(s.Config()); err != nil {
			d.log.Error("reloaded policy: a sanctions row names no incident category; it is never suggested", "err", err)
		}
	})
	svc := safeguarding.New(safeguarding.Options{Store: d.st.store, Directory: d.st.dir, Snapshot: d.engine.Snapshot, Now: d.now, Site: cfg.Site.ID})
	inc := safeguarding.NewIncidents(safeguarding.IncidentsOptions{Store: d.st.store, Directory: d.st.dir, Config: func() *config.Config { return d.engine.Snapshot().Config() }, Now: d.now})
	c, err := console.New(console.Options{Store: d.st.store, Directory: d.st.dir, Service: svc, Incidents: inc, Snapshot: d.engine.Snapshot,
		TLS: !cc.TLS.Off, Sessions: d.sessions, Log: d.log, Now: d.now, Reports: d.reports()})
	if err != nil {
		return nil, err
	}
	tlsConf, err := d.consoleTLS(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := d.listen("console", cc.Listen, nil) // under its netguard, as every listener
	if err != nil {
		return nil, fmt.Errorf("console listener %s: %w", cc.Listen, err)
	}
	scheme := "http"
	if tlsConf != nil {
		scheme = "https"
		ln = tls.NewListener(ln, tlsConf)
	}
	base := scheme + "://" + ln.Addr().String()
	d.log.Info("console listening", "url", base)
	fmt.Fprintf(d.stdout, "Safeguarding console: %s/\n", base)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var link string
	if d.st.store.Reachable() { // else no set-up link: a node without its database cannot tell (serve_offline.go)
		if link, err = c.SetupLink(ctx); err != nil {
			return nil, fmt.Errorf("console: %w", err)
		}
	}
	if link != "" {
		d.log.Warn("nobody can sign in to the console yet: the one-time set-up link is on standard output")
		fmt.Fprintf(d.stdout, "Nobody can sign in to the console yet. Create the first account (this link works once, for an hour):\n  %s%s\n", base, link)
	}
	purge := func() {
		set := d.engine.Snapshot().Config().Console
		now := d.now()
		if _, err := d.st.store.PurgeConsoleSessions(context.Background(), now.Add(-set.SessionIdle.D()), now.Add(-set.SessionMax.D())); err != nil {
			d.log.Error("console: purging expired sessions", "err", err)
		}
	}
	return []service{&listenerService{name: "console", ln: ln, srv: &consoleServer{Server: &http.Server{
		Handler:           c.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}, purge: purge, stop: make(chan struct{})}}}, nil
}

// consoleTLS is the console's certificate: none (tls: off), the school's
// own files, or one minted by the school CA (created on first start, its
// key 0600) for the name the browser asks for.
func (d *serveDeps) consoleTLS(cfg *config.Config) (*tls.Config, error) {
	if cfg.Console.TLS.Off {
		return nil, nil
	}
	return d.listenerTLS(cfg, "console.tls", cfg.Console.TLS.CertFile, cfg.Console.TLS.KeyFile)
}

// consoleServer is the console's http.Server plus an hourly purge of
// expired sessions.
type consoleServer struct {
	*http.Server
	purge func()
	stop  chan struct{}
}

func (s *consoleServer) Serve(ln net.Listener) error {
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			s.purge()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s.Server.Serve(ln)
}

func (s *consoleServer) Shutdown(ctx context.Context) error {
	close(s.stop)
	return s.Server.Shutdown(ctx)
}
