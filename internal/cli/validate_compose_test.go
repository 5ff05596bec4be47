package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

const composeTrust = `site: {id: trust, name: Oak Trust}
relaxable: [games]
sites:
  school-a: {name: School A, timezone: Europe/London}
  school-b: {name: School B}
categories:
  social: {sources: [{path: lists/social.txt, format: domains}]}
  games: {sources: [{path: lists/games.txt, format: domains}]}
schedules:
  lunch:
    - {days: [mon, tue, wed, thu, fri], from: "12:00", to: "13:00"}
groups:
  staff: {users: [t1]}
  pupils: {networks: [10.1.0.0/16]}
rules:
  social: {staff: allow, pupils: allow during lunch, others: block}
  games: {staff: allow, others: block}
default: allow
`

// TestValidateComposed: a school's file prints its effective table with
// the changed cells marked and named; the trust's file prints every
// school's (with --school, the school's own file composed in); a
// relaxation is refused naming the school's file, line, row and column.
func TestValidateComposed(t *testing.T) {
	school := `extends: policy.yaml
site: {id: school-a}
rules:
  social: {pupils: block}
  games: {pupils: allow}
`
	trust := writePolicy(t, composeTrust, map[string]string{
		"lists/social.txt": "social.example\n", "lists/games.txt": "games.example\n", "school-a.yaml": school,
		"relaxed.yaml": "extends: policy.yaml\nsite: {id: school-b}\nrules:\n  social:\n    pupils: allow\n",
	})
	dir := filepath.Dir(trust)
	schoolPath := filepath.Join(dir, "school-a.yaml")
	data := t.TempDir()

	code, out, errs := run(t, "", "validate", "-c", schoolPath, "--data", data)
	if code != 0 {
		t.Fatalf("school: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{
		"site school-a (School A): effective table; * marks a cell " + schoolPath + " changed",
		"social    allow  block *",
		"games     allow  allow *",
		`changed rules.social.pupils (` + schoolPath + `:4): "block", the trust's "allow during lunch"`,
		`changed rules.games.pupils (` + schoolPath + `:5): "allow", the trust's "block"`,
		schoolPath + ": OK: 2 categories, 2 groups",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("school: output lacks %q\n%s", want, out)
		}
	}
	if strings.Contains(out, "rules.social.staff") {
		t.Errorf("school: a cell it left is reported changed\n%s", out)
	}

	code, out, errs = run(t, "", "validate", "-c", trust, "--school", schoolPath, "--data", data)
	if code != 0 {
		t.Fatalf("trust: exit %d\n%s\n%s", code, out, errs)
	}
	a := strings.Index(out, "site school-a (School A)")
	b := strings.Index(out, "site school-b (School B): effective table; the trust's policy alone")
	if a < 0 || b < a || !strings.Contains(out[a:b], "block *") || strings.Contains(out[b:], "*") {
		t.Fatalf("trust: want school-a's table with its marks, then school-b's without\n%s", out)
	}
	if !strings.Contains(out[b:], "social    allow  allow during lunch") {
		t.Errorf("trust: school-b's table is not the trust's\n%s", out)
	}

	relaxed := filepath.Join(dir, "relaxed.yaml")
	code, out, errs = run(t, "", "validate", "-c", relaxed, "--data", data)
	want := relaxed + `:5: rules.social.pupils: "allow" is less strict than the trust's cell "allow during lunch" (` + trust + ":16) at Sun 00:00; only the categories the trust lists under relaxable: may be relaxed\n"
	if code != 2 || !strings.Contains(errs, want) || strings.Contains(out, ": OK: ") {
		t.Fatalf("relaxed: exit %d\nstdout %s\nstderr %s\nwant %s", code, out, errs, want)
	}
	code, _, errs = run(t, "", "validate", "-c", trust, "--school", relaxed, "--data", data)
	if code != 2 || !strings.Contains(errs, want) {
		t.Fatalf("trust with the relaxed school: exit %d\n%s", code, errs)
	}
}
