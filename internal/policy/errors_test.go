package policy

import (
	"errors"
	"strings"
	"testing"

	"schoolgate/internal/config"
)

// TestBadPolicies checks that every kind of mistake is rejected with a
// message naming the file, the line and the field.
func TestBadPolicies(t *testing.T) {
	const head = "site: {name: X, timezone: Europe/London}\n"
	const cats = "categories:\n  gambling:\n    sources: [{path: testdata/lists/gambling.txt, format: domains}]\n  illegal:\n    illegal: true\n    sources: [{path: testdata/lists/illegal.txt, format: domains}]\n"
	const groups = "groups:\n  staff: {networks: [10.0.0.0/8]}\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown top-level key", head + "colour: blue\n", "policy.yaml:2: colour: unknown field"},
		{"unknown nested key", head + cats + groups + "  pupils: {netwroks: [10.1.0.0/16]}\n", "policy.yaml:10: groups.pupils.netwroks: unknown field"},
		{"unknown source key", head + "categories:\n  g:\n    sources: [{pth: x, format: domains}]\n", "policy.yaml:4: categories.g.sources[0].pth: unknown field"},
		{"bad timezone", "site: {timezone: Mars/Olympus}\n", "site.timezone: unknown time zone"},
		{"bad network", head + "groups:\n  staff: {networks: [10.0.0.0/33]}\n", "policy.yaml:3: groups.staff.networks[0]"},
		{"bad safesearch", head + "groups:\n  staff: {safesearch: maybe}\n", "groups.staff.safesearch: unknown safesearch"},
		{"unknown default group", head + groups + "default_group: nobody\n", "default_group: unknown group \"nobody\""},
		{"rule for unknown category", head + cats + groups + "rules:\n  shopping: {others: block}\n", "policy.yaml:11: rules.shopping: unknown category"},
		{"rule for unknown group", head + cats + groups + "rules:\n  gambling: {pupils: block}\n", "policy.yaml:11: rules.gambling.pupils: unknown group"},
		{"bad cell", head + cats + groups + "rules:\n  gambling: {staff: maybe}\n", "policy.yaml:11: rules.gambling.staff: bad cell \"maybe\""},
		{"unknown schedule", head + cats + groups + "rules:\n  gambling: {staff: allow during lunch}\n", "rules.gambling.staff: unknown schedule \"lunch\""},
		{"illegal row not block", head + cats + groups + "rules:\n  illegal: {staff: allow, others: block}\n", "policy.yaml:11: rules.illegal.staff: category illegal is illegal: every cell must be block"},
		{"locked row permission", head + "categories:\n  adult:\n    locked: true\n    sources: [{path: testdata/lists/adult.txt, format: domains}]\n" + groups + "rules:\n  adult: {staff: permission, others: block}\n", "policy.yaml:9: rules.adult.staff: category adult is locked: no grant can open it"},
		{"illegal row warn", head + cats + groups + "rules:\n  illegal: {others: warn}\n", "rules.illegal.others: category illegal is illegal"},
		{"default without others", head + cats + groups + "default: {staff: block}\n", "default.others: the default row needs an others cell"},
		{"bad format", head + "categories:\n  g:\n    sources: [{path: x, format: csv}]\n", "policy.yaml:4: categories.g.sources[0].format: unknown format \"csv\""},
		{"path and url", head + "categories:\n  g:\n    sources: [{path: x, url: \"https://x\", format: domains}]\n", "categories.g.sources[0]: give exactly one of path or url"},
		{"missing list file", head + "categories:\n  g:\n    sources: [{path: nope.txt, format: domains}]\n", "categories.g.sources[0]: list"},
		{"bad schedule time", head + "schedules:\n  s:\n    - {days: [mon], from: \"25:00\", to: \"10:00\"}\n", "schedules.s[0].from: bad time of day \"25:00\""},
		{"bad schedule day", head + "schedules:\n  s:\n    - {days: [someday], from: \"09:00\", to: \"10:00\"}\n", "schedules.s[0].days: unknown day \"someday\""},
		{"empty window", head + "schedules:\n  s:\n    - {days: [mon], from: \"09:00\", to: \"09:00\"}\n", "schedules.s[0]: from and to are the same minute"},
		{"bad exception verdict", head + groups + "exceptions:\n  - {hosts: [a.example], verdict: maybe}\n", "policy.yaml:5: exceptions[0].verdict: bad verdict \"maybe\""},
		{"bad exception until", head + groups + "exceptions:\n  - {hosts: [a.example], verdict: allow, until: tomorrow}\n", "exceptions[0].until: bad time \"tomorrow\""},
		{"bad exception host", head + groups + "exceptions:\n  - {hosts: [\"not a host\"], verdict: allow}\n", "exceptions[0].hosts[0]"},
		{"exception unknown group", head + groups + "exceptions:\n  - {hosts: [a.example], verdict: allow, groups: [x]}\n", "exceptions[0].groups[0]: unknown group \"x\""},
		{"duplicate group", head + "groups:\n  staff: {}\n  staff: {}\n", "policy.yaml:4: groups.staff: given twice (first on line 3)"},
		{"list where mapping", head + "groups: [a, b]\n", "policy.yaml:2: groups: expected a mapping"},
		{"mapping where value", head + "default_group: {a: b}\n", "default_group: expected a single value"},
		{"yaml syntax", head + "groups: {a: [}\n", "policy.yaml: invalid policy: line"},
		{"bad duration", head + "retention: {activity: forever}\n", "retention.activity: bad duration \"forever\""},
		{"reserved group name", head + "groups:\n  others: {}\n", "groups.others: reserved"},
		{"bad dns block response", head + "dns: {block_response: maybe}\n", "dns.block_response: unknown value \"maybe\""},
		{"dns listen without a port", head + "dns: {listen: [\"10.0.0.1\"]}\n", "dns.listen[0]: \"10.0.0.1\": want host:port"},
		{"dns listen bare IPv6", head + "dns: {listen: [\"::1:53\"]}\n", "dns.listen[0]: \"::1:53\": want host:port"},
		{"bad dns upstream", head + "dns: {upstreams: [\"ftp://x\"]}\n", "dns.upstreams[0]"},
		{"bad proxy auth", head + "proxy: {auth: kerberos}\n", "proxy.auth: \"kerberos\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse("policy.yaml", "/work/main/internal/policy/policy.yaml", []byte(tc.yaml))
			if err == nil {
				c.File = "policy.yaml"
				_, err = Compile(c, Options{DataDir: t.TempDir()})
			}
			if err == nil {
				t.Fatalf("accepted; want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q\n  want it to contain %q", err, tc.want)
			}
			if !errors.Is(err, ErrInvalid) && !strings.Contains(tc.want, "list") {
				t.Errorf("error %q is not ErrInvalid", err)
			}
		})
	}
}

// TestGoodPolicyWarns: a url: source never downloaded loads empty with a
// warning; an expired exception loads with a warning.
func TestGoodPolicyWarns(t *testing.T) {
	y := "categories:\n  g:\n    sources: [{url: \"https://lists.example/g.txt\", format: domains}]\nexceptions:\n  - {hosts: [a.example], verdict: allow, until: 2020-01-01}\n"
	c, err := config.Parse("policy.yaml", "/tmp/policy.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(c, Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(s.Warnings(), "\n")
	for _, want := range []string{"has not been downloaded yet", "exceptions[0] has expired"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings %q lack %q", w, want)
		}
	}
	if !s.Sources()[0].Missing {
		t.Error("source not marked missing")
	}
}
