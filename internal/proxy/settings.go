package proxy

import (
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// settings is the proxy's view of the policy file, compiled once per
// snapshot and swapped atomically on reload.
type settings struct {
	allow         []netip.Prefix
	connectPorts  map[int]bool
	basic         bool
	realm         string
	sessionTTL    time.Duration
	inspect       policy.Set
	warnFor       time.Duration
	hosts         map[string]netip.Addr
	headerTimeout time.Duration
	idleTimeout   time.Duration
	upstream      time.Duration
	maxHeader     int
	dest          *destGuard
}

// compileSettings reads the proxy: section of snap. Without
// allow_networks, loopback and every group's networks may use the proxy.
func compileSettings(snap *policy.Snapshot, log *slog.Logger) (*settings, error) {
	c := snap.Config()
	p := &c.Proxy
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", c.File, config.ErrInvalid, err)
	}
	s := &settings{
		connectPorts:  map[int]bool{},
		basic:         p.Auth == "basic",
		realm:         p.Realm,
		sessionTTL:    p.SessionTTL.D(),
		inspect:       snap.GroupSet(p.Inspect),
		warnFor:       p.WarnFor.D(),
		hosts:         map[string]netip.Addr{},
		headerTimeout: p.HeaderTimeout.D(),
		idleTimeout:   p.IdleTimeout.D(),
		upstream:      p.UpstreamTimeout.D(),
		maxHeader:     p.MaxHeaderBytes,
	}
	for i, g := range p.Inspect {
		if _, ok := snap.GroupIndex(g); !ok {
			return nil, fmt.Errorf("%s: %w: proxy.inspect[%d]: no group %q", c.File, config.ErrInvalid, i, g)
		}
	}
	for _, n := range p.AllowNetworks {
		pfx, _ := config.ParseNetwork(n)
		s.allow = append(s.allow, pfx)
	}
	if len(p.AllowNetworks) == 0 {
		s.allow = append(s.allow, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
		for _, g := range c.Groups {
			for _, n := range g.Value.Networks {
				if pfx, err := config.ParseNetwork(n); err == nil {
					s.allow = append(s.allow, pfx)
				}
			}
		}
	}
	var exempt []netip.Prefix
	for _, n := range p.AllowDestinations {
		pfx, _ := config.ParseNetwork(string(n))
		exempt = append(exempt, pfx)
	}
	s.dest = newDestGuard(exempt, log)
	s.dest.listeners = configListeners(append([]string{p.Listen, c.BlockPage.Listen, c.Admin.Listen}, c.DNS.Listen...)...)
	for _, port := range p.ConnectPorts {
		s.connectPorts[port] = true
	}
	for name, ip := range p.Hosts {
		h, err := policy.NormalizeHost(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: proxy.hosts.%s: %v", c.File, config.ErrInvalid, name, err)
		}
		s.hosts[h] = netip.MustParseAddr(ip)
	}
	return s, nil
}

// Allowed reports whether client may use the proxy under the policy in
// force (proxy.allow_networks, or loopback and the groups' networks):
// serve closes other clients' connections at accept.
func (s *Server) Allowed(client netip.Addr) bool { return s.set.Load().allowed(client) }

// allowed reports whether client may use the proxy.
func (s *settings) allowed(client netip.Addr) bool {
	client = client.Unmap()
	for _, p := range s.allow {
		if p.Contains(client) {
			return true
		}
	}
	return false
}
