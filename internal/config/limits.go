package config

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// maxConnLimit bounds a connection cap: far beyond any open-file limit.
const maxConnLimit = 1 << 24

// Limits caps the connections each listener (proxy, block page, admin,
// DNS over TCP) holds open at once; a connection over a cap is closed as
// it is accepted. Zero values take the defaults: PerClient 256, Total a
// quarter of the open-file limit.
type Limits struct {
	// PerClient is the most one client address may hold on one listener.
	PerClient ConnLimit `yaml:"per_client"`
	// Total is the most one listener holds from all clients together.
	Total ConnLimit `yaml:"total"`
}

// ConnLimit is a number of connections, 1 to 16777216. Leaving it out
// takes the default; 0, which might be read as "no limit", is refused.
type ConnLimit int

func (c *ConnLimit) decodeNode(d *decoder, n *yaml.Node, path string) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return d.errf(n, path, "expected a number of connections")
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v < 1 || v > maxConnLimit {
		return d.errf(n, path, "%q is not a number of connections from 1 to %d (leave it out for the default)", n.Value, maxConnLimit)
	}
	*c = ConnLimit(v)
	return nil
}

// Validate checks that the caps agree with each other.
func (l *Limits) Validate() error {
	if l.PerClient > 0 && l.Total > 0 && l.PerClient > l.Total {
		return fmt.Errorf("limits.per_client: %d is more than limits.total (%d)", l.PerClient, l.Total)
	}
	return nil
}
