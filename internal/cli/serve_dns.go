package cli

// dnsParts is what the DNS resolver adds to serve.
type dnsParts struct{}

// dnsServices builds the DNS server(s) from the policy's dns: section.
func (d *serveDeps) dnsServices() ([]service, error) { return nil, nil }
