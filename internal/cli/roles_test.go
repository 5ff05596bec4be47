package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"schoolgate/internal/store"
	"schoolgate/internal/store/storetest"
)

// cliBackends runs f once on SQLite in the data directory and once on
// PostgreSQL (SCHOOLGATE_POSTGRES set for the commands); open opens the
// same database for the test to write what the block page would.
func cliBackends(t *testing.T, f func(t *testing.T, data string, open func() *store.Store)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			data := t.TempDir()
			opt := store.Options{SQLitePath: filepath.Join(data, "schoolgate.db")}
			if backend == "postgres" {
				dsn := storetest.PostgresDSN(t)
				t.Setenv("SCHOOLGATE_POSTGRES", dsn)
				opt = store.Options{PostgresDSN: dsn}
			} else {
				t.Setenv("SCHOOLGATE_POSTGRES", "")
			}
			f(t, data, func() *store.Store {
				st, err := store.Open(context.Background(), opt)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			})
		})
	}
}

// TestSafeguardingActors: grants, suspensions and request decisions need
// --by naming a directory person whose roles allow them; the refusals say
// what to pass (exit 2). A device's approval opens the site for that
// device only.
func TestSafeguardingActors(t *testing.T) {
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
		for _, u := range [][]string{
			{"pupil7", "--role", "pupil", "--groups", "pupils-ks2"},
			{"mr.teach", "--role", "teacher"},
			{"tech", "--role", "Technical"},
			{"head", "--role", "slt;governor"},
		} {
			ok(append([]string{"users", "add", "--by", "office"}, u...)...)
		}
		grant := func(by string, extra ...string) []string {
			return append([]string{"grant", "--to", "pupil7", "--category", "social-media", "--for", "45m", "--reason", "class project", "--by", by}, extra...)
		}
		const grantRoles = "--by must name a member of staff with the teacher, technical, esafety-lead or dsl role"
		refused(grantRoles+`; "nobody" is not an enabled person of the user directory`, grant("nobody")...)
		refused(grantRoles+`; "pupil7" is a pupil`, grant("pupil7")...)
		refused(grantRoles+`; "head" has the roles slt,governor`, grant("head")...)
		if out := ok(grant("Mr.Teach")...); !strings.HasPrefix(out, "override 1: allow category social-media for user pupil7") {
			t.Fatalf("teacher grant: %s", out)
		}
		refused("illegal", "grant", "--to", "pupil7", "--category", "illegal", "--for", "45m", "--reason", "x", "--by", "mr.teach")
		refused(`"nobody"`, "grant", "--to", "nobody", "--category", "social-media", "--for", "45m", "--reason", "x", "--by", "mr.teach")

		// The audit record names the person, their roles and the OS account.
		out := ok("audit", "list", "--action", "override.create")
		if !strings.Contains(out, `"actor":"mr.teach","roles":"teacher","os_user":"`+osAccount()+`"`) {
			t.Fatalf("audit: %s", out)
		}
		if out := ok("audit", "verify"); !strings.HasPrefix(out, "OK: ") {
			t.Fatalf("verify: %s", out)
		}

		// Requests, as the block page writes them.
		st := open()
		ctx := context.Background()
		r1, err := st.CreateRequest(ctx, store.Request{User: "pupil7", Client: "10.20.0.5", Host: "facebook.com", Categories: []string{"social-media"}, Reason: "project"})
		if err != nil {
			t.Fatal(err)
		}
		r2, err := st.CreateRequest(ctx, store.Request{Client: "10.99.0.7", Host: "bet365.com", Categories: []string{"gambling"}, Reason: "maths lesson on odds"})
		if err != nil {
			t.Fatal(err)
		}
		id := func(r store.Request) string { return strconv.FormatInt(r.ID, 10) }
		const decideRoles = "--by must name a member of staff with the technical, esafety-lead or dsl role"
		refused(decideRoles+`; "mr.teach" is a teacher`, "requests", "approve", id(r1), "--by", "mr.teach", "--for", "1h", "--reason", "ok")
		refused(decideRoles+`; "mr.teach" is a teacher`, "requests", "deny", id(r1), "--by", "mr.teach", "--reason", "no")
		if out := ok("requests", "approve", id(r1), "--by", "tech", "--for", "1h", "--reason", "ok"); !strings.Contains(out, "allows facebook.com for pupil7") {
			t.Fatalf("technical approves: %s", out)
		}

		// An unidentified device: say how to approve it, then for the device.
		refused("--device, --group NAME or --network", "requests", "approve", id(r2), "--by", "tech", "--for", "1h", "--reason", "ok")
		checkClient := func(client string) string {
			t.Helper()
			out := ok("check", "--client", client, "bet365.com")
			rs := decodeLines(t, out)
			return rs[0].Verdict
		}
		if v := checkClient("10.99.0.7"); v != "block" {
			t.Fatalf("before approval: %s", v)
		}
		if out := ok("requests", "approve", id(r2), "--device", "--by", "tech", "--for", "1h", "--reason", "ok"); !strings.Contains(out, "for device 10.99.0.7") {
			t.Fatalf("device approval: %s", out)
		}
		if v := checkClient("10.99.0.7"); v != "allow" {
			t.Fatalf("the device after approval: %s", v)
		}
		if v := checkClient("10.99.0.8"); v != "block" {
			t.Fatalf("another device after approval: %s", v)
		}

		// Suspensions: slt may, a teacher may not; lifting one likewise.
		suspend := func(by string) []string {
			return []string{"grant", "--kind", "suspension", "--to", "pupil7", "--all", "--for", "1d", "--reason", "misuse", "--by", by}
		}
		refused(`--by must name a member of staff with the esafety-lead, dsl or slt role; "mr.teach" is a teacher`, suspend("mr.teach")...)
		out = ok(suspend("head")...)
		if !strings.Contains(out, "block every site for user pupil7") {
			t.Fatalf("suspension: %s", out)
		}
		sid := strings.TrimSuffix(strings.Fields(out)[1], ":")
		if v := decodeLines(t, ok("check", "--user", "pupil7", "example.org"))[0].Verdict; v != "block" {
			t.Fatalf("suspended pupil: %s", v)
		}
		refused(`"mr.teach" is a teacher`, "grant", "revoke", sid, "--by", "mr.teach", "--reason", "appeal")
		ok("grant", "revoke", sid, "--by", "head", "--reason", "appeal")
		if v := decodeLines(t, ok("check", "--user", "pupil7", "example.org"))[0].Verdict; v != "allow" {
			t.Fatalf("after the suspension is lifted: %s", v)
		}
		// Read commands take --by and never check it.
		for _, read := range [][]string{{"grant", "list"}, {"requests", "list"}, {"audit", "list"}, {"audit", "verify"}} {
			ok(append(read, "--by", "anyone at all")...)
		}
	})
}

// TestUsersImportMIS imports an MIS-like export: classes, houses and
// clubs the policy does not know are kept as directory groups and
// reported once each; a pupil placed in no policy group is reported by
// line; roles take ';' or ','.
func TestUsersImportMIS(t *testing.T) {
	p := writePolicy(t, issuePolicy+"identity:\n  year_groups: {\"5\": pupils-ks2, \"6\": pupils-ks2}\n  roles: {teacher: staff, technical: staff, headteacher: staff}\n", issueLists)
	cliBackends(t, func(t *testing.T, data string, open func() *store.Store) {
		csv := "UPN,username,display_name,role,year_group,groups,email\r\n" +
			"A1,amy.b,Amy B,Pupil,5,5B;Drake House;Chess Club,\r\n" +
			"A2,ben.c,Ben C,pupil,5,5B;Nelson House,\r\n" +
			"A3,cat.d,Cat D,pupil,12,12X;Drake House,\r\n" +
			"A4,dan.e,Dan E,,,,\r\n" +
			"T1,mrs.f,Mrs F,teacher;dsl,,Drake House,f@school.example\r\n" +
			"T2,mr.g,Mr G,\"technical,esafety-lead\",,,\r\n" +
			"T3,ms.h,Ms H,headteacher,,,\r\n" +
			"X1,eve.x,Eve X,wizard,5,,\r\n"
		file := filepath.Join(t.TempDir(), "mis.csv")
		if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errs := run(t, "", "users", "import", file, "-c", p, "--data", data, "--by", "office")
		if code != 1 || !strings.Contains(out, "7 added") {
			t.Fatalf("import: exit %d\n%s\n%s", code, out, errs)
		}
		for _, want := range []string{
			`:2: group "5B" (2 rows) is not a policy group: kept as a directory group, no effect on filtering`,
			`:2: group "Drake House" (3 rows)`,
			`:2: group "Chess Club" (1 rows)`,
			`:3: group "Nelson House" (1 rows)`,
			`:4: group "12X" (1 rows)`,
			`:4: pupil cat.d is in no policy group`,
			`:5: pupil dan.e is in no policy group`,
			`:9: role: unknown role "wizard"`,
		} {
			if !strings.Contains(errs, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errs)
			}
		}
		if n := strings.Count(errs, `group "Drake House"`); n != 1 {
			t.Errorf("Drake House reported %d times", n)
		}
		if strings.Contains(errs, "amy.b is in no policy group") || strings.Contains(errs, "mrs.f is in no") {
			t.Errorf("placed people reported:\n%s", errs)
		}
		st := open()
		amy, err := st.GetUser(context.Background(), "amy.b")
		if err != nil || strings.Join(amy.Groups, ";") != "5B;Drake House;Chess Club" {
			t.Fatalf("amy's directory groups: %+v %v", amy, err)
		}
		_, out, _ = run(t, "", "users", "show", "amy.b", "--json", "-c", p, "--data", data)
		if !strings.Contains(out, `"policy_groups":["pupils-ks2"]`) || !strings.Contains(out, `"roles":["pupil"]`) {
			t.Fatalf("show amy: %s", out)
		}
		// Unknown groups have no effect: amy is filtered as pupils-ks2.
		_, out, _ = run(t, "", "check", "--user", "amy.b", "facebook.com", "-c", p, "--data", data)
		if rs := decodeLines(t, out); rs[0].Verdict != "block" || strings.Join(rs[0].Groups, ",") != "pupils-ks2" {
			t.Fatalf("amy's decision: %s", out)
		}
		_, out, _ = run(t, "", "users", "show", "mr.g", "--json", "-c", p, "--data", data)
		if !strings.Contains(out, `"roles":["technical","esafety-lead"]`) || !strings.Contains(out, `"policy_groups":["staff"]`) {
			t.Fatalf("show mr.g: %s", out)
		}
		_, out, _ = run(t, "", "users", "show", "ms.h", "--json", "-c", p, "--data", data)
		if !strings.Contains(out, `"roles":["slt"]`) || !strings.Contains(out, `"policy_groups":["staff"]`) {
			t.Fatalf("show ms.h (headteacher): %s", out)
		}
		// users set changes only what it is given.
		code, out, errs = run(t, "", "users", "set", "mrs.f", "--role", "teacher,slt", "-c", p, "--data", data)
		if code != 0 || !strings.Contains(out, "roles teacher,slt") {
			t.Fatalf("users set: %d %s %s", code, out, errs)
		}
		f, _ := st.GetUser(context.Background(), "mrs.f")
		if f.Email != "f@school.example" || strings.Join(f.Groups, ";") != "Drake House" {
			t.Fatalf("users set touched other fields: %+v", f)
		}
		if code, _, errs := run(t, "", "users", "add", "fay.g", "--role", "pupil", "--year", "9", "-c", p, "--data", data); code != 0 || !strings.Contains(errs, "warning: pupil fay.g is in no policy group") {
			t.Fatalf("users add of an unplaced pupil: %d %s", code, errs)
		}
		if code, _, errs := run(t, "", "users", "set", "fay.g", "--year", "5", "-c", p, "--data", data); code != 0 || strings.Contains(errs, "warning") {
			t.Fatalf("users set places her: %d %s", code, errs)
		}
		if code, _, errs := run(t, "", "users", "set", "mrs.f", "--role", "boss", "-c", p, "--data", data); code != 2 || !strings.Contains(errs, `unknown role "boss"`) {
			t.Fatalf("bad role: %d %s", code, errs)
		}
		if code, _, errs := run(t, "", "users", "set", "mrs.f", "-c", p, "--data", data); code != 2 || !strings.Contains(errs, "at least one of") {
			t.Fatalf("nothing to set: %d %s", code, errs)
		}
	})
}

// TestValidateChecksRoles: identity.roles keys must be roles.
func TestValidateChecksRoles(t *testing.T) {
	p := writePolicy(t, issuePolicy+"identity:\n  roles: {librarian: staff}\n", issueLists)
	code, _, errs := run(t, "", "validate", "-c", p, "--data", t.TempDir())
	if code != 2 || !strings.Contains(errs, `identity.roles: unknown role "librarian"`) {
		t.Fatalf("validate: %d %s", code, errs)
	}
}

// TestCAInitAudited: creating the school CA (which can decrypt the
// school's traffic) is an administration command: --by is free text, and
// the audit record keeps it and the OS account.
func TestCAInitAudited(t *testing.T) {
	t.Setenv("SCHOOLGATE_POSTGRES", "")
	p := writePolicy(t, issuePolicy, issueLists)
	data := t.TempDir()
	code, out, errs := run(t, "", "ca", "init", "-c", p, "--data", data, "--by", "the IT contractor")
	if code != 0 || !strings.Contains(out, "school CA created") {
		t.Fatalf("ca init: %d %s %s", code, out, errs)
	}
	_, out, _ = run(t, "", "audit", "list", "--action", "ca.init", "-c", p, "--data", data)
	if !strings.Contains(out, `"actor":"the IT contractor","os_user":"`+osAccount()+`"`) || !strings.Contains(out, `Example Primary School`) {
		t.Fatalf("audit: %s", out)
	}
	if code, _, _ := run(t, "", "ca", "init", "-c", p, "--data", data); code == 0 {
		t.Fatal("a second ca init succeeded")
	}
	_, out, _ = run(t, "", "audit", "list", "--action", "ca.init", "-c", p, "--data", data)
	if n := strings.Count(out, "ca.init"); n != 1 {
		t.Fatalf("%d ca.init records after a refused second init", n)
	}
}
