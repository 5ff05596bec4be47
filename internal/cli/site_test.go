package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/store"
)

// TestSiteFlag: the one "which school" rule over two schools. Without
// --site a command on a school's data stops naming the schools; users
// add --site creates one; a trust role is refused at a school and a school
// role on the trust; a school's teacher grants only in their school; the
// trust's dsl grants in the school named, and the grant is that school's
// alone. Both databases.
func TestSiteFlag(t *testing.T) {
	p := writePolicy(t, issuePolicy, issueLists)
	cliBackends(t, func(t *testing.T, data string, open func() *store.Store) {
		sg := func(args ...string) (int, string, string) {
			t.Helper()
			return run(t, "", append(args, "-c", p, "--data", data)...)
		}
		ok := func(args ...string) string {
			t.Helper()
			code, out, errs := sg(args...)
			if code != 0 {
				t.Fatalf("%v: exit %d\n%s", args, code, errs)
			}
			return out
		}
		refused := func(want string, args ...string) {
			t.Helper()
			code, _, errs := sg(args...)
			if code != 2 || !strings.Contains(errs, want) {
				t.Fatalf("%v: exit %d, want 2 with %q:\n%s", args, code, want, errs)
			}
		}
		// One school: no --site needed.
		ok("users", "add", "amy", "--role", "pupil", "--groups", "pupils-ks2", "--site", "school-a", "--by", "office")
		ok("users", "add", "mr.a", "--role", "teacher", "--by", "office")
		// A second school, made by naming it.
		ok("users", "add", "bob", "--role", "pupil", "--groups", "pupils-ks2", "--site", "school-b", "--by", "office")
		ok("users", "add", "mr.b", "--role", "teacher", "--site", "school-b", "--by", "office")
		ok("users", "add", "tess", "--trust", "--role", "trust-dsl", "--by", "office")
		refused("the database holds several schools (school-a, school-b): name one with --site", "users", "list")
		refused("no such school (the schools: school-a, school-b)", "users", "list", "--site", "school-c")
		refused("trust role", "users", "add", "x1", "--role", "trust-dsl", "--site", "school-a", "--by", "office")
		refused("school's role", "users", "add", "x2", "--trust", "--role", "dsl", "--by", "office")
		if out := ok("users", "list", "--site", "school-b"); !strings.Contains(out, "bob") || strings.Contains(out, "amy") || strings.Contains(out, "tess") {
			t.Fatalf("school-b's people:\n%s", out)
		}
		if code, _, _ := sg("users", "show", "amy", "--site", "school-b"); code == 0 {
			t.Fatal("school-a's pupil shown from school-b")
		}

		grant := func(to, by, site string) []string {
			return []string{"grant", "--to", to, "--category", "social-media", "--for", "45m", "--reason", "project", "--by", by, "--site", site}
		}
		refused(`"mr.a" is of school school-a, not school-b`, grant("bob", "mr.a", "school-b")...)
		refused("several schools", "grant", "--to", "amy", "--category", "social-media", "--for", "45m", "--reason", "x", "--by", "tess")
		ok(grant("amy", "mr.a", "school-a")...)
		ok(grant("bob", "tess", "school-b")...)
		st := open()
		for site, who := range map[string]string{"school-a": "amy", "school-b": "bob"} {
			list, err := st.ActiveOverrides(context.Background(), site, time.Now())
			if err != nil || len(list) != 1 || list[0].User != who || list[0].Site != site {
				t.Fatalf("%s's grants: %+v %v", site, list, err)
			}
		}
		if out := ok("grant", "list", "--site", "school-a"); strings.Contains(out, "bob") {
			t.Fatalf("school-a's list shows school-b's grant:\n%s", out)
		}
	})
}
