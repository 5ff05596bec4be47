package config

import (
	"errors"
	"fmt"
)

// errComposeStandIn: this build cannot compose a school's policy yet.
var errComposeStandIn = errors.New("school policies are not supported by this build yet")

// Compose returns the effective policy of site: the trust's with the
// school's changes. STAND-IN until internal/config/compose.go lands (the
// lead deletes this file at merge): the trust's for a nil school, and a
// refusal for any school file.
func Compose(trust, school *Config, site string) (*Config, error) {
	if school == nil {
		return trust, nil
	}
	return nil, fmt.Errorf("site %s: %w", site, errComposeStandIn)
}
