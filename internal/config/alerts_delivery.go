package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// AlertSMTP is the mail server alerts are sent through (alerts.smtp).
type AlertSMTP struct {
	// Address is host:port of the server (e.g. smtp.school.example:587).
	Address string `yaml:"address"`
	// From is the sender's address (e.g. schoolgate@school.example).
	From string `yaml:"from"`
	// StartTLS upgrades the connection before anything is sent (default
	// true). Credentials are never sent over a plain connection.
	StartTLS *bool `yaml:"starttls"`
	// Username, with the password from PasswordEnv or PasswordFile, signs
	// in (PLAIN, after STARTTLS); empty sends without signing in.
	Username     string `yaml:"username"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
	// Timeout bounds one message's whole conversation (default 30s).
	Timeout Duration `yaml:"timeout"`
	Line    int      `yaml:"-"`
}

// TLS says whether STARTTLS is required (the default).
func (s *AlertSMTP) TLS() bool { return s.StartTLS == nil || *s.StartTLS }

// AlertContact is a named person alerts are routed to (alerts.contacts).
type AlertContact struct {
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
	// Roles, when given, are the contact's roles at the school: an alert
	// goes only to contacts whose roles may read it in the console.
	Roles []string `yaml:"roles"`
	// Severities the contact is told of at once (none: only escalations).
	Severities []int `yaml:"severities"`
	// Groups limits the contact to alerts about these groups (none: all).
	Groups []string `yaml:"groups"`
	// Hours is when the contact is on duty: "Mon-Fri 08:00-18:00" (site
	// time) or the name of a schedule. Empty: always.
	Hours string `yaml:"hours"`
	// OutOfHours turns Hours round: told only outside them.
	OutOfHours bool `yaml:"out_of_hours"`
	// Escalation puts the contact in the escalation list (list order).
	Escalation bool `yaml:"escalation"`
	// Webhook names an alerts.webhooks entry also posted to for this
	// contact (e.g. their Teams channel).
	Webhook string `yaml:"webhook"`
	Line    int    `yaml:"-"`
}

// AlertWebhook is a JSON endpoint alerts are posted to (alerts.webhooks),
// signed with HMAC-SHA256 under a secret from SecretEnv or SecretFile.
type AlertWebhook struct {
	Name       string   `yaml:"name"`
	URL        string   `yaml:"url"`
	SecretEnv  string   `yaml:"secret_env"`
	SecretFile string   `yaml:"secret_file"`
	Severities []int    `yaml:"severities"`
	Groups     []string `yaml:"groups"`
	Line       int      `yaml:"-"`
}

var (
	envNamePattern     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	webhookNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
)

// deliveryErr names the field and its line: the file is added by Parse.
func deliveryErr(line int, field, format string, args ...any) error {
	return fmt.Errorf("%s (line %d): %s", field, line, fmt.Sprintf(format, args...))
}

func (a *Alerts) validateDelivery(c *Config) error {
	if a.ConsoleURL != "" {
		u, err := url.Parse(a.ConsoleURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("console_url %q: want the console's address, e.g. https://console.school.example:8443", a.ConsoleURL)
		}
	}
	if a.SMTP != nil {
		if err := a.SMTP.validate(); err != nil {
			return err
		}
	}
	hooks := map[string]bool{}
	for i := range a.Webhooks {
		w := &a.Webhooks[i]
		if err := w.validate(c, fmt.Sprintf("webhooks[%d]", i)); err != nil {
			return err
		}
		if hooks[w.Name] {
			return deliveryErr(w.Line, fmt.Sprintf("webhooks[%d].name", i), "%q is given twice", w.Name)
		}
		hooks[w.Name] = true
	}
	emails := map[string]bool{}
	for i := range a.Contacts {
		ct := &a.Contacts[i]
		field := fmt.Sprintf("contacts[%d]", i)
		if err := ct.validate(c, field, hooks); err != nil {
			return err
		}
		if ct.Email != "" && a.SMTP == nil {
			return deliveryErr(ct.Line, field+".email", "no alerts.smtp to send it through")
		}
		if ct.Email != "" && emails[ct.Email] {
			return deliveryErr(ct.Line, field+".email", "%q is given twice", ct.Email)
		}
		emails[ct.Email] = true
	}
	return nil
}

func (s *AlertSMTP) validate() error {
	if _, _, err := net.SplitHostPort(s.Address); err != nil {
		return deliveryErr(s.Line, "smtp.address", "%q: want host:port, e.g. smtp.school.example:587", s.Address)
	}
	if _, err := mail.ParseAddress(s.From); err != nil || s.From == "" {
		return deliveryErr(s.Line, "smtp.from", "%q: want an address, e.g. schoolgate@school.example", s.From)
	}
	if s.Username != "" {
		if (s.PasswordEnv == "") == (s.PasswordFile == "") {
			return deliveryErr(s.Line, "smtp.username", "give the password in exactly one of password_env or password_file")
		}
		if !s.TLS() {
			return deliveryErr(s.Line, "smtp.starttls", "false with a username would send the password in plain text")
		}
	} else if s.PasswordEnv != "" || s.PasswordFile != "" {
		return deliveryErr(s.Line, "smtp.username", "a password is given without a username")
	}
	if s.PasswordEnv != "" && !envNamePattern.MatchString(s.PasswordEnv) {
		return deliveryErr(s.Line, "smtp.password_env", "%q is not an environment variable name", s.PasswordEnv)
	}
	if s.Timeout == 0 {
		s.Timeout = Duration(30 * time.Second)
	}
	if s.Timeout.D() < time.Second || s.Timeout.D() > 10*time.Minute {
		return deliveryErr(s.Line, "smtp.timeout", "%s: between 1s and 10m", s.Timeout.D())
	}
	return nil
}

func (ct *AlertContact) validate(c *Config, field string, hooks map[string]bool) error {
	if ct.Name == "" {
		return deliveryErr(ct.Line, field+".name", "missing: whom the alerts go to")
	}
	if ct.Email == "" && ct.Webhook == "" {
		return deliveryErr(ct.Line, field, "give an email, a webhook or both")
	}
	if ct.Email != "" {
		addr, err := mail.ParseAddress(ct.Email)
		if err != nil || addr.Name != "" || addr.Address != ct.Email {
			return deliveryErr(ct.Line, field+".email", "%q: want a bare address, e.g. dsl@school.example", ct.Email)
		}
	}
	if ct.Webhook != "" && !hooks[ct.Webhook] {
		return deliveryErr(ct.Line, field+".webhook", "%q is not in alerts.webhooks", ct.Webhook)
	}
	if err := validateSeverities(ct.Line, field, ct.Severities); err != nil {
		return err
	}
	if len(ct.Severities) == 0 && !ct.Escalation {
		return deliveryErr(ct.Line, field+".severities", "none given and not an escalation contact: the contact would never be told")
	}
	if err := validateAlertGroups(c, ct.Line, field, ct.Groups); err != nil {
		return err
	}
	if ct.Hours != "" {
		if _, err := c.ContactHours(ct.Hours); err != nil {
			return deliveryErr(ct.Line, field+".hours", "%v", err)
		}
	} else if ct.OutOfHours {
		return deliveryErr(ct.Line, field+".out_of_hours", "needs hours to be outside of")
	}
	return nil
}

func (w *AlertWebhook) validate(c *Config, field string) error {
	if !webhookNamePattern.MatchString(w.Name) {
		return deliveryErr(w.Line, field+".name", "%q: use lower-case letters, digits, - and _ (e.g. teams)", w.Name)
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return deliveryErr(w.Line, field+".url", "%q: want an http or https address", w.URL)
	}
	if (w.SecretEnv == "") == (w.SecretFile == "") {
		return deliveryErr(w.Line, field, "give the signing secret in exactly one of secret_env or secret_file")
	}
	if w.SecretEnv != "" && !envNamePattern.MatchString(w.SecretEnv) {
		return deliveryErr(w.Line, field+".secret_env", "%q is not an environment variable name", w.SecretEnv)
	}
	if err := validateSeverities(w.Line, field, w.Severities); err != nil {
		return err
	}
	return validateAlertGroups(c, w.Line, field, w.Groups)
}

func validateSeverities(line int, field string, sev []int) error {
	seen := map[int]bool{}
	for _, s := range sev {
		if s < 1 || s > 5 {
			return deliveryErr(line, field+".severities", "%d is not a severity (1 advisory to 5 immediate risk)", s)
		}
		if seen[s] {
			return deliveryErr(line, field+".severities", "%d is given twice", s)
		}
		seen[s] = true
	}
	return nil
}

func validateAlertGroups(c *Config, line int, field string, groups []string) error {
	for _, g := range groups {
		if _, ok := c.Groups.Get(g); !ok {
			return deliveryErr(line, field+".groups", "unknown group %q (groups: %s)", g, strings.Join(c.Groups.Names(), ", "))
		}
	}
	return nil
}
