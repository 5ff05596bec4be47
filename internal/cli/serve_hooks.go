package cli

import "context"

// The parts of serve that later issues fill in, each in a file of its own:
// storage (serve_store.go), the DNS resolver (serve_dns.go), the proxy and
// block page (serve_proxy.go). Until then serve runs the policy engine and
// the admin listener only.

// serveExtra holds what those parts add to serveDeps.
type serveExtra struct{}

func (d *serveDeps) openStorage(ctx context.Context) error { return nil }

func (d *serveDeps) dnsServices() ([]service, error) { return nil, nil }

func (d *serveDeps) proxyServices() ([]service, error) { return nil, nil }
