package dnsfilter

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the resolver's Prometheus series, served on the admin
// listener's /metrics. Hot-path counters are bound once.
type metrics struct {
	queries      *prometheus.CounterVec
	byResult     [numResults]prometheus.Counter
	blocks       *prometheus.CounterVec
	cacheHits    prometheus.Counter
	cacheMisses  prometheus.Counter
	upstreamDur  *prometheus.HistogramVec
	upstreamErrs *prometheus.CounterVec
	duration     prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "schoolgate_dns_queries_total",
			Help: "DNS queries answered, by result (allowed, blocked, illegal, safesearch, circumvention, servfail, formerr, refused, notimp, ratelimited, dropped, outside_networks).",
		}, []string{"result"}),
		blocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "schoolgate_dns_blocks_total",
			Help: "DNS queries blocked, by the category that decided.",
		}, []string{"category"}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "schoolgate_dns_cache_hits_total",
			Help: "DNS answers served from the cache.",
		}),
		cacheMisses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "schoolgate_dns_cache_misses_total",
			Help: "DNS lookups the cache could not answer.",
		}),
		upstreamDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "schoolgate_dns_upstream_duration_seconds",
			Help:    "Time for an upstream to answer, by upstream.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"upstream"}),
		upstreamErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "schoolgate_dns_upstream_errors_total",
			Help: "Upstream exchanges that failed (timeout, refused, SERVFAIL), by upstream.",
		}, []string{"upstream"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "schoolgate_dns_request_duration_seconds",
			Help:    "Time from receiving a query to sending its answer.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
	}
	for i, n := range resultNames {
		m.byResult[i] = m.queries.WithLabelValues(n)
	}
	for _, c := range []prometheus.Collector{m.queries, m.blocks, m.cacheHits, m.cacheMisses, m.upstreamDur, m.upstreamErrs, m.duration} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				continue
			}
			return nil, fmt.Errorf("dns metrics: %w", err)
		}
	}
	return m, nil
}

// registerCache adds a gauge of the cache's size.
func (m *metrics) registerCache(reg prometheus.Registerer, c *cache) {
	_ = reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "schoolgate_dns_cache_entries",
		Help: "Answers held in the DNS cache.",
	}, func() float64 { return float64(c.len()) }))
}
