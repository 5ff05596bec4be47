package config

import (
	"strings"
	"testing"
)

const selftestBase = `categories:
  illegal: {illegal: true, sources: [{path: i.txt, format: domains}]}
  gambling: {sources: [{path: g.txt, format: domains}]}
groups:
  pupils: {networks: [10.20.0.0/16]}
  sixth: {users: [s.one]}
default: allow
`

// TestSelftestSection: probes name categories and host names; an
// illegal category takes test entries only; a group defined only by
// users needs a test user; the schedule is daily HH:MM or off, and the
// error names the line.
func TestSelftestSection(t *testing.T) {
	good := selftestBase + "selftest:\n  probes:\n    gambling: [bet.example.com]\n    illegal: [probe.illegal.invalid]\n  users: {sixth: probe.sixth}\n"
	c, err := Parse("p.yaml", "/tmp/p.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := c.Selftest.Daily(); !ok || m != 7*60 {
		t.Errorf("default schedule: %d %v", m, ok)
	}
	if hosts, _ := c.Selftest.Probes.Get("illegal"); len(hosts) != 1 || hosts[0] != "probe.illegal.invalid" {
		t.Errorf("probes %+v", c.Selftest.Probes)
	}
	for name, c := range map[string]struct{ yaml, want string }{
		"real illegal name": {"selftest:\n  probes:\n    illegal: [real-site.com]\n  users: {sixth: x}\n", "line 10"},
		"no category":       {"selftest:\n  probes:\n    nosuch: [a.test]\n", "no such category"},
		"bad host":          {"selftest:\n  probes:\n    gambling: [\"http://x\"]\n  users: {sixth: x}\n", "not a host name"},
		"users-only group":  {"selftest:\n  probes:\n    gambling: [bet.example.com]\n", "group sixth is defined only by users"},
		"bad schedule":      {"selftest:\n  schedule: hourly\n", "daily HH:MM"},
		"unknown group":     {"selftest:\n  users: {nosuch: x}\n", "no such group"},
	} {
		_, err := Parse("p.yaml", "/tmp/p.yaml", []byte(selftestBase+c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "p.yaml") {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	off, err := Parse("p.yaml", "/tmp/p.yaml", []byte(selftestBase+"selftest: {schedule: \"off\", probes: {gambling: [bet.example.com]}, users: {sixth: x}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := off.Selftest.Daily(); ok {
		t.Error("schedule off runs daily")
	}
}
