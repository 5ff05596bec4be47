package config

import "fmt"

// Alerts is the `alerts:` section: monitoring rules over the activity
// stream (alerts_rules.go) and who is told, how (alerts_delivery.go).
type Alerts struct {
	SMTP     *AlertSMTP     `yaml:"smtp"`
	Contacts []AlertContact `yaml:"contacts"`
	Webhooks []AlertWebhook `yaml:"webhooks"`
	Rules    []AlertRule    `yaml:"rules"`
	// FoldWindow: repeats of one rule for one person within it fold into
	// the open alert (default 10m).
	FoldWindow Duration `yaml:"fold_window"`
	// ConsoleURL is the console's address as people reach it, for the
	// link in e-mails and webhooks (default: from console.listen).
	ConsoleURL string `yaml:"console_url"`
}

// Validate checks the section against the rest of the policy (groups,
// categories, keyword lists).
func (a *Alerts) Validate(c *Config) error {
	if a.FoldWindow == 0 {
		a.FoldWindow = Duration(10 * 60 * 1e9)
	}
	if err := a.validateRules(c); err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	if err := a.validateDelivery(c); err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	return nil
}
