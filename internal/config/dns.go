package config

// DNS configures the filtering resolver (`schoolgate serve`).
type DNS struct {
	Listen          []string `yaml:"listen"`
	Upstreams       []string `yaml:"upstreams"`
	BlockResponse   string   `yaml:"block_response"`   // blockpage | nxdomain | null
	IllegalResponse string   `yaml:"illegal_response"` // nxdomain (default) | null | blockpage
	BlockPageIPv4   string   `yaml:"blockpage_ipv4"`
	BlockPageIPv6   string   `yaml:"blockpage_ipv6"`
	LogQueries      *bool    `yaml:"log_queries"`
	CacheSize       int      `yaml:"cache_size"`
	Timeout         Duration `yaml:"timeout"`
	// RateLimit is queries per second per client IP; 0 (default) is off,
	// since school networks sit behind NAT.
	RateLimit int `yaml:"rate_limit"`
	// MaxFilteredTTL caps answer TTLs for filtered groups (default 60s).
	MaxFilteredTTL Duration `yaml:"max_filtered_ttl"`
}

func (d *DNS) applyDefaults() {
	if d.BlockResponse == "" {
		d.BlockResponse = "blockpage"
	}
	if d.IllegalResponse == "" {
		d.IllegalResponse = "nxdomain"
	}
	if d.BlockPageIPv4 == "" {
		d.BlockPageIPv4 = "127.0.0.1"
	}
	if d.BlockPageIPv6 == "" {
		d.BlockPageIPv6 = "::1"
	}
	if d.LogQueries == nil {
		t := true
		d.LogQueries = &t
	}
	if d.CacheSize == 0 {
		d.CacheSize = 10000
	}
	if d.Timeout == 0 {
		d.Timeout = Duration(2e9)
	}
	if d.MaxFilteredTTL == 0 {
		d.MaxFilteredTTL = Duration(60e9)
	}
}
