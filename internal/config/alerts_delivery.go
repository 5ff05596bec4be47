package config

// AlertSMTP is the mail server alerts are sent through (alerts.smtp).
type AlertSMTP struct {
	Address  string `yaml:"address"`
	From     string `yaml:"from"`
	StartTLS *bool  `yaml:"starttls"` // default true
	Line     int    `yaml:"-"`
}

// AlertContact is a named person alerts are routed to (alerts.contacts).
type AlertContact struct {
	Name       string `yaml:"name"`
	Email      string `yaml:"email"`
	Severities []int  `yaml:"severities"`
	Line       int    `yaml:"-"`
}

// AlertWebhook is a JSON endpoint alerts are posted to (alerts.webhooks).
type AlertWebhook struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	Line int    `yaml:"-"`
}

func (a *Alerts) validateDelivery(c *Config) error { return nil }
