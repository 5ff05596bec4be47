package config

import (
	"fmt"
	"net"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Console configures the safeguarding console (internal/console).
type Console struct {
	// Listen is the console's address; empty turns it off.
	Listen string `yaml:"listen"`
	// TLS: absent, a certificate from the school CA; off, plain HTTP (a
	// reverse proxy in front, or tests); or the school's own files.
	TLS ConsoleTLS `yaml:"tls"`
	// SessionIdle ends a session unused this long (default 30m);
	// SessionMax ends any session this long after sign-in (default 12h).
	SessionIdle Duration `yaml:"session_idle"`
	SessionMax  Duration `yaml:"session_max"`
}

// ConsoleTLS is console.tls: the string off, or {cert_file, key_file}.
type ConsoleTLS struct {
	Off      bool
	CertFile string
	KeyFile  string
	Line     int
}

// UsesCA says the certificate comes from the school CA.
func (t ConsoleTLS) UsesCA() bool { return !t.Off && t.CertFile == "" }

func (t *ConsoleTLS) decodeNode(d *decoder, n *yaml.Node, path string) error {
	t.Line = n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		if n.Value != "off" && !(n.Tag == "!!bool" && strings.EqualFold(n.Value, "false")) {
			return d.errf(n, path, "want off or {cert_file, key_file}, not %q", n.Value)
		}
		t.Off = true
		return nil
	case yaml.MappingNode:
		var f struct {
			CertFile string `yaml:"cert_file"`
			KeyFile  string `yaml:"key_file"`
		}
		if err := d.decodeStruct(n, path, reflect.ValueOf(&f).Elem()); err != nil {
			return err
		}
		if f.CertFile == "" || f.KeyFile == "" {
			return d.errf(n, path, "give both cert_file and key_file")
		}
		t.CertFile, t.KeyFile = f.CertFile, f.KeyFile
		return nil
	}
	return d.errf(n, path, "want off or {cert_file, key_file}, not a %s", kindName(n.Kind))
}

func (c *Console) applyDefaults() {
	if c.SessionIdle == 0 {
		c.SessionIdle = Duration(30 * time.Minute)
	}
	if c.SessionMax == 0 {
		c.SessionMax = Duration(12 * time.Hour)
	}
}

// Validate checks the console section's values.
func (c *Console) Validate() error {
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("%w: console.listen %q: want host:port", ErrInvalid, c.Listen)
		}
	}
	if c.SessionIdle.D() < time.Minute {
		return fmt.Errorf("%w: console.session_idle %s: at least 1m", ErrInvalid, c.SessionIdle.D())
	}
	if c.SessionMax.D() < c.SessionIdle.D() {
		return fmt.Errorf("%w: console.session_max %s: shorter than console.session_idle %s", ErrInvalid, c.SessionMax.D(), c.SessionIdle.D())
	}
	if c.SessionMax.D() > 7*24*time.Hour {
		return fmt.Errorf("%w: console.session_max %s: at most 7d", ErrInvalid, c.SessionMax.D())
	}
	return nil
}

// SchoolDayEndAt is site.school_day_end on the day of t (in t's location),
// or false when it is not set.
func (s Site) SchoolDayEndAt(t time.Time) (time.Time, bool) {
	if s.SchoolDayEnd == "" {
		return time.Time{}, false
	}
	hm, err := time.Parse("15:04", s.SchoolDayEnd)
	if err != nil {
		return time.Time{}, false
	}
	return time.Date(t.Year(), t.Month(), t.Day(), hm.Hour(), hm.Minute(), 0, 0, t.Location()), true
}

func (s Site) validateDayEnd() error {
	if s.SchoolDayEnd == "" {
		return nil
	}
	if _, err := time.Parse("15:04", s.SchoolDayEnd); err != nil {
		return fmt.Errorf("%w: site.school_day_end %q: want HH:MM (site time)", ErrInvalid, s.SchoolDayEnd)
	}
	return nil
}
