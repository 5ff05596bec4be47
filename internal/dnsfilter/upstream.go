package dnsfilter

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
)

// upstreams are the resolvers queries are forwarded to, tried in order
// with fail-over: an upstream that just failed goes to the back of the
// queue for a few seconds. The whole exchange is bounded by timeout, so a
// dead upstream costs a quick SERVFAIL, never a hang.
type upstreams struct {
	list    []*upstream
	timeout time.Duration
}

type upstream struct {
	addr      string // as configured
	kind      string // udp, tcp, tls, https
	hostport  string
	stream    *streamPool // tcp and tls; TCP fallback for udp
	udp       *udpPool
	doh       *http.Client
	url       string
	downUntil atomic.Int64 // unix nanos
	dur       prometheus.Observer
	errs      prometheus.Counter
}

// downFor is how long a failed upstream is tried last.
const downFor = 5 * time.Second

func newUpstreams(addrs []string, timeout time.Duration, caFile string, m *metrics) (*upstreams, error) {
	var tlsConf *tls.Config
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("%w: dns.upstream_ca: %w", ErrUpstreamSetup, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: dns.upstream_ca: %s holds no PEM certificate", ErrUpstreamSetup, caFile)
		}
		tlsConf = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	u := &upstreams{timeout: timeout}
	for i, a := range addrs {
		up, err := newUpstream(a, tlsConf)
		if err != nil {
			return nil, fmt.Errorf("%w: dns.upstreams[%d]: %w", ErrUpstreamSetup, i, err)
		}
		up.dur = m.upstreamDur.WithLabelValues(a)
		up.errs = m.upstreamErrs.WithLabelValues(a)
		u.list = append(u.list, up)
	}
	return u, nil
}

func newUpstream(addr string, tlsConf *tls.Config) (*upstream, error) {
	up := &upstream{addr: addr, kind: "udp"}
	rest := addr
	if scheme, r, ok := strings.Cut(addr, "://"); ok {
		up.kind, rest = scheme, strings.TrimSuffix(r, "/")
	}
	switch up.kind {
	case "udp", "tcp", "tls":
		port := "53"
		if up.kind == "tls" {
			port = "853"
		}
		hp := rest
		if _, _, err := net.SplitHostPort(rest); err != nil {
			hp = net.JoinHostPort(strings.Trim(rest, "[]"), port)
		}
		up.hostport = hp
		var conf *tls.Config
		if up.kind == "tls" {
			host, _, _ := net.SplitHostPort(hp)
			conf = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
			if tlsConf != nil {
				conf.RootCAs = tlsConf.RootCAs
			}
		}
		up.stream = newStreamPool(hp, conf)
		if up.kind == "udp" {
			up.udp = newUDPPool(hp)
		}
	case "https":
		if _, err := url.Parse(addr); err != nil {
			return nil, err
		}
		tr := &http.Transport{
			Proxy:               nil,
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 5 * time.Second,
		}
		if tlsConf != nil {
			tr.TLSClientConfig = tlsConf.Clone()
		}
		up.doh, up.url = &http.Client{Transport: tr}, addr
	default:
		return nil, fmt.Errorf("unknown scheme %q", up.kind)
	}
	return up, nil
}

// exchange sends m to the upstreams in turn until one answers. The
// answer is unpacked, or in wire form (wire, from a UDP upstream: its ID
// and question checked, unpacking left to the caller).
func (u *upstreams) exchange(ctx context.Context, m *dns.Msg) (reply *dns.Msg, wire []byte, err error) {
	if len(u.list) == 0 {
		return nil, nil, ErrNoUpstream
	}
	now := time.Now().UnixNano()
	order := make([]*upstream, 0, len(u.list))
	for _, up := range u.list {
		if up.downUntil.Load() <= now {
			order = append(order, up)
		}
	}
	for _, up := range u.list {
		if up.downUntil.Load() > now {
			order = append(order, up)
		}
	}
	var lastErr error = ErrNoUpstream
	for i, up := range order {
		dl, _ := ctx.Deadline()
		budget := time.Until(dl) / time.Duration(len(order)-i)
		if budget <= 0 {
			break
		}
		actx, cancel := ctx, context.CancelFunc(func() {})
		if i < len(order)-1 { // the last one has what is left anyway
			actx, cancel = context.WithTimeout(ctx, budget)
		}
		start := time.Now()
		reply, wire, err := up.exchange(actx, m)
		cancel()
		if err == nil && wire == nil && !sameQuestion(m, reply) {
			err = fmt.Errorf("%w: %s answered another question", ErrBadUpstream, up.addr)
		}
		var rcode int
		switch {
		case err != nil:
		case wire != nil:
			rcode = int(wire[3] & 0xF) // at least a header: the pool checked
		default:
			rcode = reply.Rcode
		}
		if err == nil && rcode != dns.RcodeServerFailure && rcode != dns.RcodeRefused {
			up.dur.Observe(time.Since(start).Seconds())
			up.downUntil.Store(0)
			return reply, wire, nil
		}
		if err == nil {
			err = fmt.Errorf("%w: %s answered %s", ErrBadUpstream, up.addr, dns.RcodeToString[rcode])
		}
		up.errs.Inc()
		up.downUntil.Store(time.Now().Add(downFor).UnixNano())
		lastErr = err
	}
	return nil, nil, fmt.Errorf("%w: %w", ErrNoUpstream, lastErr)
}

// close stops the UDP sockets' readers: the upstreams were replaced (a
// reload) or the resolver stopped. Queries still waiting fail.
func (u *upstreams) close() {
	for _, up := range u.list {
		if up.udp != nil {
			up.udp.close()
		}
	}
}

func (up *upstream) exchange(ctx context.Context, m *dns.Msg) (*dns.Msg, []byte, error) {
	var reply *dns.Msg
	var err error
	switch up.kind {
	case "udp":
		var wire []byte
		if wire, err = up.udp.exchange(ctx, m); err != nil || binary.BigEndian.Uint16(wire[2:])&flagTC == 0 {
			return nil, wire, err
		}
		m.Id = dns.Id() // truncated: again over TCP
		reply, err = up.stream.exchange(ctx, m)
	case "tcp", "tls":
		m.Id = dns.Id()
		reply, err = up.stream.exchange(ctx, m)
	default:
		reply, err = up.exchangeDoH(ctx, m)
	}
	return reply, nil, err
}

// exchangeDoH posts the query (RFC 8484, ID 0).
func (up *upstream) exchangeDoH(ctx context.Context, m *dns.Msg) (*dns.Msg, error) {
	m.Id = 0
	wire, err := m.Pack()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, up.url, bytes.NewReader(wire))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/dns-message")
	req.Header.Set("Accept", "application/dns-message")
	resp, err := up.doh.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 65536))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s: HTTP %d", ErrBadUpstream, up.addr, resp.StatusCode)
	}
	reply := new(dns.Msg)
	if err := reply.Unpack(body); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadUpstream, up.addr, err)
	}
	return reply, nil
}

func sameQuestion(q, r *dns.Msg) bool {
	return len(r.Question) == 1 && r.Question[0].Qtype == q.Question[0].Qtype &&
		strings.EqualFold(r.Question[0].Name, q.Question[0].Name)
}
