package cli

import (
	"strings"
	"testing"
)

const selftestValidatePolicy = `categories:
  illegal: {illegal: true, sources: [{path: lists/illegal.txt, format: domains}]}
  gambling: {sources: [{path: lists/gambling.txt, format: domains}]}
groups:
  pupils: {networks: [10.20.0.0/16]}
default_group: pupils
rules:
  illegal: {others: block}
  gambling: {others: block}
default: allow
selftest:
  probes:
    gambling: [bet.example.com]
    illegal: [probe.illegal.invalid]
`

// TestValidateSelftest: an illegal category's probe test entry missing
// from its list is an error naming the line (exit 2); another category's
// probe name missing is a warning; with both listed, OK.
func TestValidateSelftest(t *testing.T) {
	code, out, errs := run(t, "", "validate", "-c", writePolicy(t, selftestValidatePolicy, map[string]string{
		"lists/illegal.txt": "real-bad.example\n", "lists/gambling.txt": "other.example\n"}), "--data", t.TempDir())
	if code != 2 || !strings.Contains(errs, ":14: invalid policy: selftest.probes.illegal: probe.illegal.invalid is not in the category's lists") {
		t.Fatalf("illegal entry missing: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = run(t, "", "validate", "-c", writePolicy(t, selftestValidatePolicy, map[string]string{
		"lists/illegal.txt": "real-bad.example\nprobe.illegal.invalid\n", "lists/gambling.txt": "other.example\n"}), "--data", t.TempDir())
	if code != 0 || !strings.Contains(out, "warning: ") || !strings.Contains(out, "selftest.probes.gambling: bet.example.com is not in the category's lists") || !strings.Contains(out, ": OK: ") {
		t.Fatalf("gambling name missing: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = run(t, "", "validate", "-c", writePolicy(t, selftestValidatePolicy, map[string]string{
		"lists/illegal.txt": "probe.illegal.invalid\n", "lists/gambling.txt": "bet.example.com\n"}), "--data", t.TempDir())
	if code != 0 || strings.Contains(out, "selftest") {
		t.Fatalf("both listed: exit %d\n%s\n%s", code, out, errs)
	}
}
