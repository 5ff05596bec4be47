package proxy

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/metricreg"
	"schoolgate/internal/policy"
)

// point is where the proxy decided: a plain HTTP request, a request inside
// an inspected tunnel, or a tunnel decided on its host alone.
type point uint8

const (
	pointHTTP point = iota
	pointHTTPS
	pointConnect
	numPoints
)

var pointNames = [numPoints]string{"http", "https", "connect"}

// errKind is a kind of failure the proxy counts: answers it gave itself
// with a 4xx (or 5xx for a site it could not use), and sites that failed.
type errKind uint8

const (
	errBadRequest          errKind = iota // a request head refused: 400, 408, 414, 431, 501, 505
	errOutsideNetworks                    // 403: a client outside proxy.allow_networks
	errAuthRequired                       // 407: no or wrong credentials
	errLoginLimited                       // 429 or 503: log-in attempts rate-limited or too many at once
	errConnectPort                        // 403: CONNECT to a port not in proxy.connect_ports
	errNotProxyRequest                    // 400: an origin-form request to the proxy itself
	errMisdirected                        // 421: a request for another site inside an inspected tunnel
	errUpstreamUnreachable                // 502: a site that could not be reached (request or tunnel)
	errUpstreamTimeout                    // 504: a site that did not answer in time
	errUpstreamCut                        // a site's response body ended early
	errUpgradeRefused                     // 502: a protocol upgrade, not relayed
	errNoHello                            // a tunnel to an IP address without a TLS hello
	errInspection                         // an inspected handshake that failed (CA not trusted?)
	errDestinationRefused                 // 403: a site on this machine, loopback or link-local (destination.go)
	numErrKinds
)

var errKindNames = [numErrKinds]string{
	"bad_request", "outside_networks", "auth_required", "login_limited", "connect_port",
	"not_proxy_request", "misdirected", "upstream_unreachable", "upstream_timeout",
	"upstream_cut", "upgrade_refused", "no_tls_hello", "inspection_failed",
	"destination_refused",
}

// tunnel modes and byte directions.
const (
	tunnelSpliced = iota
	tunnelInspected
	toClient = 0
	toSite   = 1
)

// metrics are the proxy's Prometheus metrics, resolved to their label
// values once so that the request path only adds and observes.
type metrics struct {
	requests [numPoints][3]prometheus.Counter // point × allow, warn, block
	errors   [numErrKinds]prometheus.Counter
	conns    prometheus.Gauge
	tunnels  [2]prometheus.Gauge
	bytes    [2]prometheus.Counter
	latency  [2]prometheus.Observer // http, https
	upgrades prometheus.Counter     // WebSockets relayed
}

// newMetrics builds the metrics and registers them on reg (nil: kept but
// not exported). A second proxy on the same registry shares the first's.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "schoolgate_proxy_requests_total",
		Help: "Proxy decisions, by point (http, https inspected, connect tunnel) and verdict (allow, warn, block).",
	}, []string{"point", "verdict"})
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "schoolgate_proxy_errors_total",
		Help: "Requests the proxy refused or could not complete, by kind (bad_request, outside_networks, auth_required, login_limited, connect_port, not_proxy_request, misdirected, upstream_unreachable, upstream_timeout, upstream_cut, upgrade_refused, no_tls_hello, inspection_failed).",
	}, []string{"kind"})
	conns := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "schoolgate_proxy_connections",
		Help: "Client connections open to the proxy.",
	})
	tunnels := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "schoolgate_proxy_tunnels",
		Help: "CONNECT tunnels open, by mode (spliced: bytes passed through; inspected: decrypted with the school CA).",
	}, []string{"mode"})
	bytes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "schoolgate_proxy_bytes_total",
		Help: "Body and tunnel bytes relayed, by direction (to_client, to_site).",
	}, []string{"direction"})
	upgrades := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "schoolgate_proxy_websockets_total",
		Help: "WebSocket upgrades relayed (each then open as a spliced tunnel until it ends).",
	})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "schoolgate_proxy_request_duration_seconds",
		Help:    "Time from a request's head being read to its answer being sent, by point (http, https inspected).",
		Buckets: []float64{.0002, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"point"})
	var err error
	requests = metricreg.Register(reg, requests, &err)
	errs = metricreg.Register(reg, errs, &err)
	conns = metricreg.Register(reg, conns, &err)
	tunnels = metricreg.Register(reg, tunnels, &err)
	bytes = metricreg.Register(reg, bytes, &err)
	latency = metricreg.Register(reg, latency, &err)
	upgrades = metricreg.Register(reg, upgrades, &err)
	if err != nil {
		return nil, fmt.Errorf("proxy metrics: %w", err)
	}
	m := &metrics{conns: conns, upgrades: upgrades}
	for p := range numPoints {
		for i, v := range []policy.Verdict{policy.Allow, policy.Warn, policy.Block} {
			m.requests[p][i] = requests.WithLabelValues(pointNames[p], v.String())
		}
	}
	for k := range numErrKinds {
		m.errors[k] = errs.WithLabelValues(errKindNames[k])
	}
	m.tunnels[tunnelSpliced] = tunnels.WithLabelValues("spliced")
	m.tunnels[tunnelInspected] = tunnels.WithLabelValues("inspected")
	m.bytes[toClient] = bytes.WithLabelValues("to_client")
	m.bytes[toSite] = bytes.WithLabelValues("to_site")
	m.latency[pointHTTP] = latency.WithLabelValues("http")
	m.latency[pointHTTPS] = latency.WithLabelValues("https")
	return m, nil
}

// decided counts one decision.
func (m *metrics) decided(p point, v policy.Verdict) {
	i := 2
	switch v {
	case policy.Allow:
		i = 0
	case policy.Warn:
		i = 1
	}
	m.requests[p][i].Inc()
}

// failed counts one error.
func (m *metrics) failed(k errKind) { m.errors[k].Inc() }

// point is where this connection's requests are decided.
func (c *conn) point() point {
	if c.tunnel != nil {
		return pointHTTPS
	}
	return pointHTTP
}
