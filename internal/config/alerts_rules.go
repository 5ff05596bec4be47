package config

// AlertRule is one monitoring rule (alerts.rules).
type AlertRule struct {
	Name     string   `yaml:"name"`
	Title    string   `yaml:"title"`
	Severity int      `yaml:"severity"`
	Groups   []string `yaml:"groups"`
	Category []string `yaml:"category"`
	Search   []string `yaml:"search"`
	Line     int      `yaml:"-"`
}

func (a *Alerts) validateRules(c *Config) error { return nil }
