package cli

// proxyParts is what the proxy and block page add to serve.
type proxyParts struct{}

// proxyServices builds the web proxy and the block-page listener.
func (d *serveDeps) proxyServices() ([]service, error) { return nil, nil }
