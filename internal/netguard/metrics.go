package netguard

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/metricreg"
)

// metrics are one guard's series, resolved to its listener label once.
type metrics struct {
	refusedBy    map[string]prometheus.Counter
	open         prometheus.Gauge
	acceptErrors prometheus.Counter
}

// newMetrics registers the guards' metrics on reg (nil: not exported);
// guards on the same registry share them, each with its own label.
func newMetrics(reg prometheus.Registerer, name string) (*metrics, error) {
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "schoolgate_connections_refused_total",
		Help: "Connections closed at accept, by listener and reason (outside_networks, per_client, total).",
	}, []string{"listener", "reason"})
	open := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "schoolgate_connections_open",
		Help: "Connections open, by listener.",
	}, []string{"listener"})
	acceptErrors := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "schoolgate_accept_errors_total",
		Help: "Failed accepts retried after a pause (out of file descriptors, among others), by listener.",
	}, []string{"listener"})
	var err error
	refused = metricreg.Register(reg, refused, &err)
	open = metricreg.Register(reg, open, &err)
	acceptErrors = metricreg.Register(reg, acceptErrors, &err)
	if err != nil {
		return nil, fmt.Errorf("netguard metrics: %w", err)
	}
	m := &metrics{
		refusedBy:    map[string]prometheus.Counter{},
		open:         open.WithLabelValues(name),
		acceptErrors: acceptErrors.WithLabelValues(name),
	}
	for _, r := range []string{ReasonOutside, ReasonPerClient, ReasonTotal} {
		m.refusedBy[r] = refused.WithLabelValues(name, r)
	}
	return m, nil
}

func (m *metrics) refused(reason string) { m.refusedBy[reason].Inc() }
