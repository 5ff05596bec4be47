package cli

import (
	"fmt"
	"net"
	"net/netip"

	"schoolgate/internal/netguard"
	"schoolgate/internal/policy"
)

// raiseFileLimit raises the soft open-file limit to the hard one before
// anything is opened, and logs the limit that results: every connection
// held open costs one, and the listeners' default total caps are shares
// of it.
func (d *serveDeps) raiseFileLimit() {
	soft, hard, err := netguard.RaiseFileLimit()
	if err != nil {
		d.log.Warn("cannot raise the open-file limit", "err", err)
	}
	d.fileLimit = soft
	d.log.Info("open-file limit", "soft", soft, "hard", hard)
	if soft < lowFileLimit {
		d.log.Warn("the open-file limit is low for a school's traffic: raise it (LimitNOFILE= in the systemd unit, or ulimit -n)",
			"limit", soft, "suggested", 65536)
	}
}

// lowFileLimit is the open-file limit below which serve warns: a few
// hundred pupils' browsers hold thousands of proxy connections.
const lowFileLimit = 4096

// guard builds the connection guard of one listener (proxy, blockpage,
// admin, dns) from the policy's limits: section, and follows reloads.
// allow, when set, refuses other clients at accept.
func (d *serveDeps) guard(name string, allow func(netip.Addr) bool) (*netguard.Guard, error) {
	snap := d.engine.Snapshot()
	g, err := netguard.New(netguard.Options{
		Name: name, Limits: guardLimits(snap), FileLimit: d.fileLimit,
		Allow: allow, Registerer: d.registry, Log: d.log,
	})
	if err != nil {
		return nil, fmt.Errorf("%s listener: %w", name, err)
	}
	if l := g.Limits(); uint64(l.Total) > d.fileLimit {
		d.log.Warn("limits.total is above the open-file limit: the listener will run out of descriptors first (its accepts then pause and retry)",
			"listener", name, "total", l.Total, "open_file_limit", d.fileLimit)
	}
	d.engine.OnReload(func(snap *policy.Snapshot) {
		if err := g.SetLimits(guardLimits(snap)); err != nil {
			d.log.Error("limits not reloaded", "listener", name, "err", err)
		}
	})
	return g, nil
}

func guardLimits(snap *policy.Snapshot) netguard.Limits {
	l := snap.Config().Limits
	return netguard.Limits{PerClient: int(l.PerClient), Total: int(l.Total)}
}

// listen opens a TCP listener on addr under a guard of its own.
func (d *serveDeps) listen(name, addr string, allow func(netip.Addr) bool) (net.Listener, error) {
	g, err := d.guard(name, allow)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return g.Wrap(ln), nil
}
