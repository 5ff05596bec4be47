package cli

import (
	"schoolgate/internal/dnsfilter"
	"schoolgate/internal/identity"
)

// directory is the user store's directory, or nil when serve runs without
// storage.
func (d *serveDeps) directory() identity.Directory {
	if d.st.dir == nil {
		return nil
	}
	return d.st.dir
}

// dnsServices builds the DNS filtering resolver from the policy's dns:
// section. An empty dns.listen turns it off. Its listeners are bound here,
// before serve reports ready, so a busy or privileged port fails early.
func (d *serveDeps) dnsServices() ([]service, error) {
	cfg := d.engine.Snapshot().Config().DNS
	if len(cfg.Listen) == 0 {
		d.log.Info("dns.listen is empty: the DNS resolver is off")
		return nil, nil
	}
	guard, err := d.guard("dns", nil) // DNS over TCP, every dns.listen address
	if err != nil {
		return nil, err
	}
	srv, err := dnsfilter.New(dnsfilter.Options{
		Engine:   d.engine,
		Identity: d.ident,
		Activity: d.activity,
		Registry: d.registry,
		Logger:   d.log,
		Now:      d.now,
		TCPGuard: guard,
		Probes:   d.probeVerifier(),
	})
	if err != nil {
		return nil, err
	}
	return []service{srv}, nil
}
