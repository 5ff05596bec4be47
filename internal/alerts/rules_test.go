package alerts

import (
	"fmt"
	"strings"
	"testing"
)

const ruleSet = `alerts:
  rules:
    - {name: gambling-attempts, title: Gambling sites, severity: 3, groups: [pupils], category: [gambling]}
    - {name: self-harm-searches, title: Self-harm searches, severity: 4, search: [self-harm]}
    - {name: self-harm-sites, severity: 4, category: [self-harm], blocked_only: true}
    - {name: games-repeated, severity: 2, category: [games], threshold: {count: 3, window: 10m}}
    - {name: games-by-device, severity: 1, category: [games], threshold: {count: 4, window: 10m, by: address}}
    - {name: bypass, severity: 3, circumvention: true}
    - {name: got-through, severity: 4, concern: [got-through]}
    - {name: night-owl, severity: 1, groups: [pupils], hours: {outside: school-day}}
keywords:
  self-harm: {sources: [{path: keywords/self-harm.txt}]}
`

// TestRules runs each trigger over sample events (a dry run, folding as
// the store does) and checks what fires, at what severity, how often.
func TestRules(t *testing.T) {
	c := testPolicy(t, ruleSet)
	rs, err := Compile(c, wordMatcher{"self-harm": {"hurt myself", "self harm"}})
	if err != nil {
		t.Fatal(err)
	}
	// Tuesday 10 March 2026, in school hours unless said.
	const day = "2026-03-10T"
	for _, tc := range []struct {
		name, sample string
		want         []string // rule/severity/subject/count
	}{
		{"category for the rule's group", day + "10:00:00Z user=ada groups=pupils category=gambling host=bet.example",
			[]string{"gambling-attempts/3/ada/1"}},
		{"category outside the rule's groups", day + "10:00:00Z user=mrb groups=staff category=gambling", nil},
		{"a search matching a keyword list", day + `10:00:00Z user=ada groups=pupils search="how to hurt myself"`,
			[]string{"self-harm-searches/4/ada/1"}},
		{"a search matching none", day + `10:00:00Z user=ada groups=pupils search="hurtling comets"`, nil},
		{"illegal: severity 5 by the built-in rule", day + "10:00:00Z client=10.20.0.9 groups=pupils category=illegal-test",
			[]string{"illegal-content/5/addr:10.20.0.9/1"}},
		{"blocked only: an allowed visit does not fire", day + "10:00:00Z user=ada groups=pupils category=self-harm verdict=allow", nil},
		{"blocked only: a block does", day + "10:00:00Z user=ada groups=pupils category=self-harm verdict=block",
			[]string{"self-harm-sites/4/ada/1"}},
		{"threshold not reached", day + "10:00:00Z user=ada groups=pupils category=games\n" + day + "10:05:00Z user=ada groups=pupils category=games", nil},
		{"threshold reached within the window", strings.Repeat(day+"10:00:00Z user=ada client=10.20.0.5 groups=pupils category=games\n", 2) +
			day + "10:09:00Z user=ada client=10.20.0.5 groups=pupils category=games", []string{"games-repeated/2/ada/3"}},
		{"threshold spread wider than the window", day + "10:00:00Z user=ada groups=pupils category=games\n" +
			day + "10:06:00Z user=ada groups=pupils category=games\n" + day + "10:11:00Z user=ada groups=pupils category=games", nil},
		{"threshold by address counts several users", fmt.Sprintf("%s10:00:00Z user=a client=10.20.0.5 groups=pupils category=games\n%s10:01:00Z user=b client=10.20.0.5 groups=pupils category=games\n%s10:02:00Z user=c client=10.20.0.5 groups=pupils category=games\n%s10:03:00Z user=d client=10.20.0.5 groups=pupils category=games", day, day, day, day),
			[]string{"games-by-device/1/addr:10.20.0.5/4"}},
		{"the DoH canary", day + "10:00:00Z client=10.20.0.5 groups=pupils rule=dns.circumvention.canary", []string{"bypass/3/addr:10.20.0.5/1"}},
		{"a VPN category, found by its title", day + "10:00:00Z user=ada groups=pupils category=filter-bypass", []string{"bypass/3/ada/1"}},
		{"a refused tunnel", day + "10:00:00Z user=ada groups=pupils rule=destination:loopback", []string{"bypass/3/ada/1"}},
		{"a concern of the rule's kind", day + "10:00:00Z user=ada concern=got-through", []string{"got-through/4/ada/1"}},
		{"a concern of another kind", day + "10:00:00Z user=ada concern=other", nil},
		{"activity outside the schedule (Saturday)", "2026-03-14T10:00:00Z user=ada groups=pupils host=example.org", []string{"night-owl/1/ada/1"}},
		{"activity inside it", day + "10:00:00Z user=ada groups=pupils host=example.org", nil},
		{"repeats fold within the window", day + "10:00:00Z user=ada groups=pupils category=gambling\n" + day + "10:09:00Z user=ada groups=pupils category=gambling",
			[]string{"gambling-attempts/3/ada/2"}},
		{"repeats past the window raise anew", day + "10:00:00Z user=ada groups=pupils category=gambling\n" + day + "10:11:00Z user=ada groups=pupils category=gambling",
			[]string{"gambling-attempts/3/ada/1", "gambling-attempts/3/ada/1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fired, err := DryRun(c, rs, strings.NewReader(tc.sample), "sample")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fired {
				got = append(got, fmt.Sprintf("%s/%d/%s/%d", f.Rule, f.Severity, f.Subject, f.Count))
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("fired %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCompileNeedsKeywords: a search rule without a keyword matcher is
// refused rather than quietly never firing.
func TestCompileNeedsKeywords(t *testing.T) {
	if _, err := Compile(testPolicy(t, ruleSet), nil); err == nil || !strings.Contains(err.Error(), "self-harm-searches") {
		t.Fatalf("got %v", err)
	}
}

// TestDryRunErrors: a bad sample line is refused naming file and line.
func TestDryRunErrors(t *testing.T) {
	c := testPolicy(t, ruleSet)
	rs, err := Compile(c, wordMatcher{})
	if err != nil {
		t.Fatal(err)
	}
	for sample, want := range map[string]string{
		"# fine\nyesterday user=ada":                       "sample:2: time",
		"2026-03-10T10:00:00Z user=ada colour=red":         "sample:1: unknown key",
		"2026-03-10T10:00:00Z groups=pupils":               "sample:1: give user= or client=",
		`2026-03-10T10:00:00Z user=ada search="unfinished`: "sample:1: a quote",
		"2026-03-10T10:00:00Z user=ada concern=angry":      "sample:1: concern",
	} {
		if _, err := DryRun(c, rs, strings.NewReader(sample), "sample"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", sample, err, want)
		}
	}
}

// TestThresholdFirstSeen: a threshold alert's first event is the oldest
// of the ones that reached the count (the clock is the events' times).
func TestThresholdFirstSeen(t *testing.T) {
	c := testPolicy(t, ruleSet)
	rs, err := Compile(c, wordMatcher{})
	if err != nil {
		t.Fatal(err)
	}
	sample := "2026-03-10T10:00:00Z user=ada groups=pupils category=games\n2026-03-10T10:04:00Z user=ada groups=pupils category=games\n2026-03-10T10:08:00Z user=ada groups=pupils category=games\n"
	fired, err := DryRun(c, rs, strings.NewReader(sample), "sample")
	if err != nil || len(fired) != 1 {
		t.Fatalf("%+v %v", fired, err)
	}
	if f := fired[0]; f.First.Format("15:04") != "10:00" || f.Last.Format("15:04") != "10:08" || f.Count != 3 {
		t.Errorf("fired %+v", f)
	}
}
