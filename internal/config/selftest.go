package config

import (
	"fmt"
	"regexp"
	"strings"
)

// Selftest is the `selftest:` section: the automated filtering self-test
// (`schoolgate selftest`, and daily under serve). For every group it
// sends each category's probe names through the node's own DNS listener
// and proxy, over loopback, as that group, and compares the answers with
// what the policy says the group should get.
//
//	selftest:
//	  schedule: daily 07:00           # site time; "off" for none
//	  probes:                         # category: [test names it lists]
//	    gambling: [bet365.com]
//	    illegal: [selftest.illegal.invalid]
//	  users:                          # a group defined only by users
//	    sixth-form: probe.sixth       # probes as this test user
type Selftest struct {
	// Schedule is "daily HH:MM" (site time) or "off"; default "daily
	// 07:00" when there are probes.
	Schedule string `yaml:"schedule"`
	// DNS and Proxy are the addresses probed (default: the first
	// dns.listen address and proxy.listen, an unspecified address as
	// loopback).
	DNS   string `yaml:"dns"`
	Proxy string `yaml:"proxy"`
	// Probes are, per category, names the category's lists contain. An
	// illegal category's must be test entries (under .invalid or .test)
	// the school adds to that category's list: never a real one.
	Probes Ordered[[]string] `yaml:"probes"`
	// Users name a test user for each group defined only by users: (no
	// networks): its probes stand for that user.
	Users Ordered[string] `yaml:"users"`
	Line  int             `yaml:"-"`
}

var dailyPattern = regexp.MustCompile(`^daily ([01][0-9]|2[0-3]):([0-5][0-9])$`)

// Daily is the schedule's time of day (minutes after midnight), and
// false when the self-test does not run on its own.
func (s *Selftest) Daily() (int, bool) {
	m := dailyPattern.FindStringSubmatch(s.Schedule)
	if m == nil || len(s.Probes) == 0 {
		return 0, false
	}
	return (int(m[1][0]-'0')*10+int(m[1][1]-'0'))*60 + int(m[2][0]-'0')*10 + int(m[2][1]-'0'), true
}

// testName says whether host is a reserved test name (RFC 2606/6761):
// never a real site.
func testName(host string) bool {
	return strings.HasSuffix(host, ".invalid") || strings.HasSuffix(host, ".test")
}

var probeHostPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

// Validate checks the section against the categories and groups.
func (s *Selftest) Validate(c *Config) error {
	if s.Schedule == "" {
		s.Schedule = "daily 07:00"
	}
	if s.Schedule != "off" && !dailyPattern.MatchString(s.Schedule) {
		return fmt.Errorf("selftest.schedule (line %d): %q: use \"daily HH:MM\" or \"off\"", s.Line, s.Schedule)
	}
	for _, p := range s.Probes {
		cat, ok := c.Categories.Get(p.Name)
		if !ok {
			return fmt.Errorf("selftest.probes.%s (line %d): no such category", p.Name, p.Line)
		}
		if len(p.Value) == 0 {
			return fmt.Errorf("selftest.probes.%s (line %d): give at least one name the category lists", p.Name, p.Line)
		}
		for _, h := range p.Value {
			if h != strings.ToLower(h) || !probeHostPattern.MatchString(h) {
				return fmt.Errorf("selftest.probes.%s (line %d): %q is not a host name", p.Name, p.Line, h)
			}
			if cat.Illegal && !testName(h) {
				return fmt.Errorf("selftest.probes.%s (line %d): %q: an illegal category is probed with a test entry under .invalid or .test that you add to its list, never a real one", p.Name, p.Line, h)
			}
		}
	}
	for _, u := range s.Users {
		if _, ok := c.Groups.Get(u.Name); !ok {
			return fmt.Errorf("selftest.users.%s (line %d): no such group", u.Name, u.Line)
		}
		if strings.TrimSpace(u.Value) == "" || strings.ContainsAny(u.Value, "| ") {
			return fmt.Errorf("selftest.users.%s (line %d): give a test user's username", u.Name, u.Line)
		}
	}
	if len(s.Probes) == 0 {
		return nil
	}
	for _, g := range c.Groups {
		if strings.ContainsAny(g.Name, "| ") {
			return fmt.Errorf("selftest (line %d): group %q cannot be probed (a space or |)", s.Line, g.Name)
		}
		if len(g.Value.Networks) == 0 && len(g.Value.Users) > 0 {
			if _, ok := s.Users.Get(g.Name); !ok {
				return fmt.Errorf("selftest.users (line %d): group %s is defined only by users: name a test user for it to probe as", s.Line, g.Name)
			}
		}
	}
	return nil
}
