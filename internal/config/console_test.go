package config

import (
	"strings"
	"testing"
	"time"
)

func TestConsoleSection(t *testing.T) {
	for _, c := range []struct {
		yaml, want string // want: an error substring, or "" for none
		check      func(*Config) bool
	}{
		{"", "", func(c *Config) bool {
			return c.Console.Listen == "" && c.Console.TLS.UsesCA() && c.Console.SessionIdle.D() == 30*time.Minute && c.Console.SessionMax.D() == 12*time.Hour
		}},
		{"console: {listen: 127.0.0.1:8443, tls: off}", "", func(c *Config) bool { return c.Console.TLS.Off && !c.Console.TLS.UsesCA() }},
		{"console:\n  tls: {cert_file: c.pem, key_file: k.pem}\n", "", func(c *Config) bool { return c.Console.TLS.CertFile == "c.pem" && !c.Console.TLS.UsesCA() }},
		{"console: {tls: on}", "p.yaml:1: console.tls: want off or {cert_file, key_file}", nil},
		{"console:\n  tls: {cert_file: c.pem}\n", "p.yaml:2: console.tls: give both", nil},
		{"console:\n  tls: {cert: c.pem}\n", "p.yaml:2: console.tls.cert: unknown field", nil},
		{"console: {listen: nowhere}", "console.listen", nil},
		{"console: {session_idle: 10s}", "console.session_idle", nil},
		{"console: {session_idle: 2h, session_max: 1h}", "console.session_max", nil},
		{"console: {sessions: 1h}", "console.sessions: unknown field", nil},
		{"site: {school_day_end: '15:30'}", "", func(c *Config) bool {
			end, ok := c.Site.SchoolDayEndAt(time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC))
			return ok && end.Equal(time.Date(2026, 3, 9, 15, 30, 0, 0, time.UTC))
		}},
		{"site: {school_day_end: '3pm'}", "site.school_day_end", nil},
	} {
		cfg, err := Parse("p.yaml", "/tmp/p.yaml", []byte(c.yaml+"\ndefault_group: \"\"\n"))
		if c.want != "" {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%q: error %v, want %q", c.yaml, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.yaml, err)
			continue
		}
		if !c.check(cfg) {
			t.Errorf("%q: decoded %+v", c.yaml, cfg.Console)
		}
	}
}
