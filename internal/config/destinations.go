package config

import "fmt"

// validateDestinations checks proxy.allow_destinations: CIDR ranges the
// proxy may reach although they are loopback, link-local, unspecified or
// the machine's own addresses (an intranet server on this machine;
// tests' loopback origins). Everything else in those ranges is refused.
func validateDestinations(nets []string) error {
	for i, n := range nets {
		if _, err := ParseNetwork(n); err != nil {
			return fmt.Errorf("proxy.allow_destinations[%d]: %w", i, err)
		}
	}
	return nil
}
