package config

import (
	"errors"
	"strings"
	"testing"
)

const rulesBase = `categories:
  gambling: {}
schedules:
  school-day: [{days: [mon], from: "08:00", to: "16:00"}]
groups:
  pupils: {networks: [10.20.0.0/16]}
keywords:
  self-harm: {sources: [{path: keywords/self-harm.txt}]}
alerts:
`

// TestAlertRules: the example validates as written; each bad rule
// is refused naming the file, the line and the field.
func TestAlertRules(t *testing.T) {
	example := rulesBase + `  smtp: {address: "127.0.0.1:2525", from: "schoolgate@school.example", starttls: false}
  contacts:
    - {name: Amy Shah, email: dsl@school.example, severities: [3, 4, 5]}
    - {name: Ben Cole, email: deputy@school.example, severities: [4, 5]}
  rules:
    - {name: gambling-attempts, title: Gambling sites, severity: 3, groups: [pupils], category: [gambling]}
    - {name: self-harm-searches, title: Self-harm searches, severity: 4, search: [self-harm]}
`
	c, err := Parse("p.yaml", "/tmp/p.yaml", []byte(example))
	if err != nil {
		t.Fatalf("the issue's example: %v", err)
	}
	if got := c.Alerts.Rules[1]; got.Trigger() != "search" || got.Line != 16 || c.Alerts.FoldWindow.D().Minutes() != 10 {
		t.Errorf("parsed %+v, fold %v", got, c.Alerts.FoldWindow)
	}
	for rule, want := range map[string]string{
		`{name: a, severity: 6, category: [gambling]}`:                                               "line 11: rules[0].severity: 6",
		`{name: A b, severity: 1, category: [gambling]}`:                                             "rules[0].name",
		`{name: a, severity: 1}`:                                                                     "no trigger",
		`{name: a, severity: 1, category: [gambling], search: [self-harm]}`:                          "rules[0].search: a rule has exactly one trigger",
		`{name: a, severity: 1, category: [poker]}`:                                                  `unknown category "poker"`,
		`{name: a, severity: 1, groups: [year7], category: [gambling]}`:                              `unknown group "year7"`,
		`{name: a, severity: 1, search: [bullying]}`:                                                 `unknown keyword list "bullying"`,
		`{name: a, severity: 1, hours: {outside: lunch}}`:                                            `hours.outside: unknown schedule "lunch"`,
		`{name: a, severity: 1, concern: [angry]}`:                                                   `unknown kind "angry"`,
		`{name: a, severity: 1, category: [gambling], threshold: {count: 1, window: 1m}}`:            "threshold.count: 1",
		`{name: a, severity: 1, category: [gambling], threshold: {count: 3}}`:                        "threshold.window",
		`{name: a, severity: 1, category: [gambling], threshold: {count: 3, window: 1m, by: class}}`: "threshold.by",
		`{name: a, severity: 1, search: [self-harm], threshold: {count: 3, window: 1m}}`:             "a threshold counts category or circumvention",
		`{name: a, severity: 1, search: [self-harm], blocked_only: true}`:                            "blocked_only",
		`{name: a, severity: 1, category: [gambling], colour: red}`:                                  "p.yaml:11: alerts.rules[0].colour: unknown field",
	} {
		_, err := Parse("p.yaml", "/tmp/p.yaml", []byte(rulesBase+"  rules:\n    - "+rule+"\n"))
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "p.yaml") {
			t.Errorf("%s: %v, want %q", rule, err, want)
		}
	}
	dup := rulesBase + "  rules:\n    - {name: a, severity: 1, category: [gambling]}\n    - {name: a, severity: 2, category: [gambling]}\n"
	if _, err := Parse("p.yaml", "/tmp/p.yaml", []byte(dup)); err == nil || !strings.Contains(err.Error(), "line 12: rules[1].name") {
		t.Errorf("a duplicate name: %v", err)
	}
}
