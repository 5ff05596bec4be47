package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

const alertsTestPolicy = `site: {name: Test School, timezone: Europe/London}
categories:
  illegal: {illegal: true, sources: [{path: lists/illegal.txt, format: domains}]}
  gambling: {sources: [{path: lists/gambling.txt, format: domains}]}
groups:
  pupils: {networks: [10.20.0.0/16]}
default_group: pupils
rules:
  illegal: {others: block}
  gambling: {others: block}
default: allow
alerts:
  rules:
    - {name: gambling-attempts, title: Gambling sites, severity: 3, groups: [pupils], category: [gambling]}
    - {name: self-harm-searches, title: Self-harm searches, severity: 4, search: [self-harm]}
keywords:
  self-harm: {sources: [{path: keywords/self-harm.txt}]}
`

// TestAlertsTest: `alerts test` runs the policy's rules (with its keyword
// list read from the file) over sample lines with no database and prints
// what would fire; a bad line is a usage error naming file and line.
func TestAlertsTest(t *testing.T) {
	p := writePolicy(t, alertsTestPolicy, map[string]string{
		"lists/illegal.txt": "bad.example\n", "lists/gambling.txt": "bet.example\n",
		"keywords/self-harm.txt": "# test list\nhurt myself\n-hurt myself laughing\n",
		"samples.txt": `# a morning
2026-03-10T10:00:00Z user=ada groups=pupils category=gambling host=bet.example
2026-03-10T10:02:00Z user=ada groups=pupils category=gambling host=bet.example
2026-03-10T10:03:00Z user=ben groups=pupils search="I want to hurt myself"
2026-03-10T10:04:00Z user=cy groups=pupils search="I nearly hurt myself laughing"
2026-03-10T10:05:00Z client=10.20.0.9 groups=pupils category=illegal
`,
		"bad.txt": "2026-03-10T10:00:00Z user=ada colour=red\n",
	})
	dir := filepath.Dir(p)
	code, out, errOut := run(t, "", "alerts", "test", "-c", p, filepath.Join(dir, "samples.txt"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"line 2: severity 3 gambling-attempts (Gambling sites) about ada: 2 event(s)",
		"line 4: severity 4 self-harm-searches (Self-harm searches) about ben: 1 event(s)",
		"line 6: severity 5 illegal-content (Illegal content) about addr:10.20.0.9",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "about cy") || strings.Count(out, "\n") != 3 {
		t.Errorf("an excluded phrase fired, or extra lines:\n%s", out)
	}
	if code, _, errOut := run(t, "", "alerts", "test", "-c", p, filepath.Join(dir, "bad.txt")); code != 2 || !strings.Contains(errOut, "bad.txt:1: unknown key") {
		t.Errorf("bad sample: %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "", "alerts", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown alerts command") {
		t.Errorf("unknown subcommand: %d %s", code, errOut)
	}
}
