package config

import (
	"fmt"
	"regexp"
	"slices"
)

// AlertRule is one monitoring rule (alerts.rules). It has exactly one
// trigger: category (optionally blocked_only, or with a threshold),
// search, circumvention (optionally narrowed by category, or with a
// threshold), concern, or hours.
type AlertRule struct {
	Name     string   `yaml:"name"`
	Title    string   `yaml:"title"`
	Severity int      `yaml:"severity"`
	Groups   []string `yaml:"groups"`
	Category []string `yaml:"category"`
	// BlockedOnly: only attempts the filter blocked (category trigger).
	BlockedOnly bool `yaml:"blocked_only"`
	// Threshold turns a category or circumvention trigger into "N of
	// them by one person (or address) within a window".
	Threshold *AlertThreshold `yaml:"threshold"`
	// Search names keyword lists (keywords:) a search term may match.
	Search []string `yaml:"search"`
	// Circumvention: VPN, proxy and encrypted-DNS attempts, the DoH
	// canary and Private Relay names, refused tunnels.
	Circumvention bool `yaml:"circumvention"`
	// Concern: a "report a concern" from the block page, of these kinds
	// (got-through, should-block, other; empty: any).
	Concern []string `yaml:"concern"`
	// Hours: activity outside a schedule (hours: {outside: SCHEDULE}).
	Hours *AlertHours `yaml:"hours"`
	// EscalateAfter: an alert still new after this goes to the
	// escalation contacts (0: never).
	EscalateAfter Duration `yaml:"escalate_after"`
	Line          int      `yaml:"-"`
}

// AlertThreshold is "count events within window, by user or address".
type AlertThreshold struct {
	Count  int      `yaml:"count"`
	Window Duration `yaml:"window"`
	By     string   `yaml:"by"` // user (default) | address
	Line   int      `yaml:"-"`
}

// AlertHours is an hours trigger: activity outside the named schedule.
type AlertHours struct {
	Outside string `yaml:"outside"`
	Line    int    `yaml:"-"`
}

// ConcernKinds are the kinds of concern the block page's form offers.
var ConcernKinds = []string{"got-through", "should-block", "other"}

// MaxThresholdCount bounds a threshold's count (the engine keeps that
// many timestamps per person).
const MaxThresholdCount = 1000

var ruleNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Trigger names the rule's one trigger ("" when it has none).
func (r *AlertRule) Trigger() string {
	switch {
	case r.Circumvention:
		return "circumvention"
	case r.Threshold != nil:
		return "threshold"
	case len(r.Category) > 0:
		return "category"
	case len(r.Search) > 0:
		return "search"
	case r.Concern != nil:
		return "concern"
	case r.Hours != nil:
		return "hours"
	}
	return ""
}

func (a *Alerts) validateRules(c *Config) error {
	seen := map[string]int{}
	for i := range a.Rules {
		r := &a.Rules[i]
		if err := r.validate(c, i); err != nil {
			return err
		}
		if first, dup := seen[r.Name]; dup {
			return ruleErr(r, i, "name", "%q is given twice (first on line %d)", r.Name, first)
		}
		seen[r.Name] = r.Line
	}
	return nil
}

func ruleErr(r *AlertRule, i int, field, format string, args ...any) error {
	return fmt.Errorf("line %d: rules[%d].%s: %s", r.Line, i, field, fmt.Sprintf(format, args...))
}

func (r *AlertRule) validate(c *Config, i int) error {
	if !ruleNamePattern.MatchString(r.Name) {
		return ruleErr(r, i, "name", "%q: use lower-case letters, digits and hyphens", r.Name)
	}
	if r.Title == "" {
		r.Title = r.Name
	}
	if r.Severity < 1 || r.Severity > 5 {
		return ruleErr(r, i, "severity", "%d: use 1 (advisory) to 5 (immediate risk to a child)", r.Severity)
	}
	if err := r.validateTrigger(i); err != nil {
		return err
	}
	for _, g := range r.Groups {
		if _, ok := c.Groups.Get(g); !ok && g != c.DefaultGroup {
			return ruleErr(r, i, "groups", "unknown group %q (known: %v)", g, c.Groups.Names())
		}
	}
	for _, k := range r.Category {
		if _, ok := c.Categories.Get(k); !ok {
			return ruleErr(r, i, "category", "unknown category %q", k)
		}
	}
	for _, k := range r.Search {
		if _, ok := c.Keywords.Get(k); !ok {
			return ruleErr(r, i, "search", "unknown keyword list %q (keywords: names %v)", k, c.Keywords.Names())
		}
	}
	for _, k := range r.Concern {
		if !slices.Contains(ConcernKinds, k) {
			return ruleErr(r, i, "concern", "unknown kind %q (known: %v)", k, ConcernKinds)
		}
	}
	if h := r.Hours; h != nil {
		if _, ok := c.Schedules[h.Outside]; !ok {
			return ruleErr(r, i, "hours.outside", "unknown schedule %q", h.Outside)
		}
	}
	if t := r.Threshold; t != nil {
		if t.Count < 2 || t.Count > MaxThresholdCount {
			return ruleErr(r, i, "threshold.count", "%d: use 2 to %d", t.Count, MaxThresholdCount)
		}
		if t.Window <= 0 {
			return ruleErr(r, i, "threshold.window", "give a window (e.g. 15m)")
		}
		switch t.By {
		case "":
			t.By = "user"
		case "user", "address":
		default:
			return ruleErr(r, i, "threshold.by", "%q: use user or address", t.By)
		}
	}
	return nil
}

// validateTrigger checks the rule has exactly one trigger.
func (r *AlertRule) validateTrigger(i int) error {
	var given []string
	if len(r.Category) > 0 && !r.Circumvention {
		given = append(given, "category")
	}
	if len(r.Search) > 0 {
		given = append(given, "search")
	}
	if r.Circumvention {
		given = append(given, "circumvention")
	}
	if r.Concern != nil {
		given = append(given, "concern")
	}
	if r.Hours != nil {
		given = append(given, "hours")
	}
	switch {
	case len(given) == 0:
		return ruleErr(r, i, "", "no trigger: give one of category, search, circumvention, concern or hours")
	case len(given) > 1:
		return ruleErr(r, i, given[1], "a rule has exactly one trigger, and this one also has %s", given[0])
	}
	if r.Threshold != nil && given[0] != "category" && given[0] != "circumvention" {
		return ruleErr(r, i, "threshold", "a threshold counts category or circumvention attempts, not %s", given[0])
	}
	if r.BlockedOnly && given[0] != "category" {
		return ruleErr(r, i, "blocked_only", "applies to a category trigger only")
	}
	return nil
}
