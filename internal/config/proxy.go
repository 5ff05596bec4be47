package config

// Proxy configures the filtering web proxy.
type Proxy struct {
	Listen string `yaml:"listen"`
	// Auth is "none" (client IP decides) or "basic" (Proxy-Authorization
	// against the user store).
	Auth  string `yaml:"auth"`
	Realm string `yaml:"realm"`
	// SessionTTL is how long a successful log-in maps its client IP to the
	// user, for the DNS resolver too.
	SessionTTL Duration `yaml:"session_ttl"`
	// AllowNetworks may use the proxy; others get 403 (no open proxy).
	AllowNetworks []string `yaml:"allow_networks"`
	// ConnectPorts are the ports CONNECT may reach (default 443).
	ConnectPorts []int `yaml:"connect_ports"`
	// Inspect lists the groups whose HTTPS is inspected with the school CA.
	Inspect []string `yaml:"inspect"`
	// WarnFor is how long a "Continue" on a warning page allows the site.
	WarnFor Duration `yaml:"warn_for"`
}

func (p *Proxy) applyDefaults() {
	if p.Auth == "" {
		p.Auth = "none"
	}
	if p.Realm == "" {
		p.Realm = "Schoolgate"
	}
	if p.SessionTTL == 0 {
		p.SessionTTL = Duration(8 * 3600e9)
	}
	if len(p.ConnectPorts) == 0 {
		p.ConnectPorts = []int{443}
	}
	if p.WarnFor == 0 {
		p.WarnFor = Duration(3600e9)
	}
}

// BlockPage is the listener that serves block pages for DNS-blocked names,
// /proxy.pac and /wpad.dat.
type BlockPage struct {
	Listen string `yaml:"listen"`
}

func (b *BlockPage) applyDefaults() {}

// Admin is the loopback listener for /metrics and health.
type Admin struct {
	Listen string `yaml:"listen"`
}

func (a *Admin) applyDefaults() {
	if a.Listen == "" {
		a.Listen = "127.0.0.1:9153"
	}
}

// AUA is one group's acceptable-use agreement.
type AUA struct {
	Version string `yaml:"version"`
	File    string `yaml:"file"`
	Line    int    `yaml:"-"`
}
