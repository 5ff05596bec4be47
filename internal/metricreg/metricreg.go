// Package metricreg registers Prometheus collectors that several servers
// (or several instances of one) may share on one registry.
package metricreg

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers c on reg (if any) and returns it, or the collector
// already registered under its name; a conflict is kept in *errp (the
// first one only).
func Register[C prometheus.Collector](reg prometheus.Registerer, c C, errp *error) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(C); ok {
				return old
			}
		}
		if *errp == nil {
			*errp = err
		}
	}
	return c
}
