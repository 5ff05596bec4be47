package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Network is a CIDR prefix or a bare address in a list of networks the
// policy file gives (proxy.allow_destinations, dns.allow_networks). A bad
// one is reported with its file, line and field while the file is read.
type Network string

func (nw *Network) decodeNode(d *decoder, n *yaml.Node, path string) error {
	if n.Kind != yaml.ScalarNode {
		return d.errf(n, path, "expected a network such as 10.20.0.0/16")
	}
	if _, err := ParseNetwork(n.Value); err != nil {
		return d.errf(n, path, "%v", err)
	}
	*nw = Network(n.Value)
	return nil
}

// validateNetworks checks a list of networks set other than by the
// decoder (a one-item list written as a single value, a test).
func validateNetworks(field string, nets []Network) error {
	for i, n := range nets {
		if _, err := ParseNetwork(string(n)); err != nil {
			return fmt.Errorf("%w: %s[%d]: %w", ErrInvalid, field, i, err)
		}
	}
	return nil
}

// validateDestinations checks proxy.allow_destinations: CIDR ranges the
// proxy may reach although they are loopback, link-local, unspecified or
// the machine's own addresses (an intranet server on this machine;
// tests' loopback origins). Everything else in those ranges is refused.
func validateDestinations(nets []Network) error {
	return validateNetworks("proxy.allow_destinations", nets)
}
