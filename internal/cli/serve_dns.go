package cli

import (
	"context"
	"runtime/debug"
	"time"

	"schoolgate/internal/dnsfilter"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
)

// dnsParts is what the DNS resolver adds to serve.
type dnsParts struct {
	srv *dnsfilter.Server
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
	var dir identity.Directory
	if d.st.dir != nil {
		dir = d.st.dir // a session user's groups from the user store
	}
	srv, err := dnsfilter.New(dnsfilter.Options{
		Engine:    d.engine,
		Sessions:  d.sessions,
		Directory: dir,
		Activity:  d.activity,
		Registry:  d.registry,
		Logger:    d.log,
		Now:       d.now,
	})
	if err != nil {
		return nil, err
	}
	d.dns.srv = srv
	svc := &dnsService{Server: srv, reloaded: make(chan struct{}, 1)}
	// Registered after the resolver's own hook, so it runs once the
	// resolver has let go of the old snapshot.
	d.engine.OnReload(func(*policy.Snapshot) {
		select {
		case svc.reloaded <- struct{}{}:
		default:
		}
	})
	return []service{svc}, nil
}

// dnsService runs the resolver and hands memory the process no longer
// needs back to the system: once at start-up (a 1M-entry list is read
// whole and compiled, leaving tens of MB of garbage the runtime would
// otherwise keep), and after each reload, once the previous snapshot is
// unreachable.
type dnsService struct {
	*dnsfilter.Server
	reloaded chan struct{}
}

// releaseDelay is how long after a reload the old snapshot may still be
// in use: queries in flight finish on the view they started with, and
// none outlives the upstream timeout (2 s by default).
const releaseDelay = 5 * time.Second

func (s *dnsService) Run(ctx context.Context) error {
	go func() {
		debug.FreeOSMemory() // beside the first queries, not before them
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.reloaded:
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(releaseDelay):
				debug.FreeOSMemory()
			}
		}
	}()
	return s.Server.Run(ctx)
}
