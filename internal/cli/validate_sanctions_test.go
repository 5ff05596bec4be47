package cli

import (
	"strconv"
	"strings"
	"testing"
)

// TestValidateSanctions: validate refuses a sanctions table naming an
// incident category that does not exist, or an action of the other
// table, naming the file, the line and the field; the seeds' categories
// pass.
func TestValidateSanctions(t *testing.T) {
	lists := map[string]string{"lists/adult.txt": "pornhub.com\n", "lists/social.txt": "facebook.com\n"}
	good := lockedPolicy + "sanctions:\n  pupils:\n    pornography: [removal_of_access, inform_parents]\n"
	if code, out, errs := run(t, "", "validate", "-c", writePolicy(t, good, lists), "--data", t.TempDir()); code != 0 || !strings.Contains(out, ": OK: ") {
		t.Fatalf("good policy: %d %s %s", code, out, errs)
	}
	for _, tc := range []struct{ add, want string }{
		{"    homework-late: [warning]\n", ": sanctions.pupils.homework-late: not an incident category"},
		{"    copyright: [disciplinary]\n", `: invalid policy: sanctions.pupils.copyright (line LINE): "disciplinary" is not an action of the pupils table`},
	} {
		bad := good + tc.add
		line := strings.Count(bad, "\n")
		p := writePolicy(t, bad, lists)
		want := strings.ReplaceAll(tc.want, "LINE", strconv.Itoa(line))
		if !strings.Contains(tc.want, "LINE") {
			want = ":" + strconv.Itoa(line) + tc.want
		}
		code, out, errs := run(t, "", "validate", "-c", p, "--data", t.TempDir())
		if code != 2 || !strings.Contains(errs, p) || !strings.Contains(errs, want) || strings.Contains(out, ": OK: ") {
			t.Errorf("%s: exit %d\nstdout %s\nstderr %s\nwant %s", tc.add, code, out, errs, want)
		}
	}
}
