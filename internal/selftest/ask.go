package selftest

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/miekg/dns"

	"schoolgate/internal/probe"
)

// Answers that are not a verdict.
const (
	gotNoAnswer = "no-answer" // the listener did not answer
	gotRefused  = "refused"   // DNS REFUSED: the probe was not let in
	gotUnknown  = "unknown"   // an answer that says neither
	// gotIgnored: the proxy answered without the probe's verdict: it
	// did not honour the probe (another node's key, a clock apart).
	gotIgnored = "not-honoured"
)

// askDNS sends an A query for host to the DNS listener with the signed
// probe option: blocked when the answer carries the filter's Extended
// DNS Error (15 Blocked, 17 Filtered), allowed otherwise.
func askDNS(ctx context.Context, opt Options, group, user, host string) string {
	tok, err := probe.Sign(opt.Key, group, user, opt.Now())
	if err != nil {
		return gotUnknown
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(host), dns.TypeA)
	m.SetEdns0(1232, false)
	o := m.IsEdns0()
	o.Option = append(o.Option, &dns.EDNS0_LOCAL{Code: probe.OptionCode, Data: []byte(tok)})
	c := &dns.Client{Net: "udp", Timeout: opt.Timeout}
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	r, _, err := c.ExchangeContext(ctx, m, opt.DNS)
	if err != nil || r == nil {
		return gotNoAnswer
	}
	if r.Rcode == dns.RcodeRefused {
		return gotRefused
	}
	if ro := r.IsEdns0(); ro != nil {
		for _, e := range ro.Option {
			if ede, ok := e.(*dns.EDNS0_EDE); ok && (ede.InfoCode == dns.ExtendedErrorCodeBlocked || ede.InfoCode == dns.ExtendedErrorCodeFiltered) {
				return "blocked"
			}
		}
	}
	return "allowed"
}

// askProxy sends GET http://host/ through the proxy with the signed probe
// header: the proxy's verdict header says block, warn or allow.
func askProxy(ctx context.Context, opt Options, group, user, host string) string {
	tok, err := probe.Sign(opt.Key, group, user, opt.Now())
	if err != nil {
		return gotUnknown
	}
	proxyURL := &url.URL{Scheme: "http", Host: opt.Proxy}
	client := &http.Client{
		Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), DisableKeepAlives: true, ResponseHeaderTimeout: opt.Timeout},
		Timeout:   opt.Timeout + time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/", nil)
	if err != nil {
		return gotUnknown
	}
	req.Header.Set(probe.Header, tok)
	resp, err := client.Do(req)
	if err != nil {
		return gotNoAnswer
	}
	resp.Body.Close()
	switch v := resp.Header.Get(probe.VerdictHeader); v {
	case "block", "warn", "allow":
		return v
	}
	return gotIgnored
}
