package notify

import (
	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/metricreg"
)

// metrics counts notifications by channel (email, webhook).
type metrics struct {
	sent, failed *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	var err error
	m := &metrics{
		sent: metricreg.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "schoolgate_alert_notifications_sent_total",
			Help: "Alert notifications delivered, by channel (email, webhook).",
		}, []string{"channel"}), &err),
		failed: metricreg.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "schoolgate_alert_notifications_failed_total",
			Help: "Alert notifications given up on (refused, retries spent, queue full), by channel.",
		}, []string{"channel"}), &err),
	}
	for _, ch := range []string{"email", "webhook"} { // at 0 from the start, for rate()
		m.sent.WithLabelValues(ch)
		m.failed.WithLabelValues(ch)
	}
	return m, err
}
