// Package storage tests the storage commands end to end: the real
// schoolgate binary on a real SQLite database in a temporary directory.
package storage

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "schoolgate-storage-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "schoolgate")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/schoolgate")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs the binary with the test's data directory; stdin may be "".
func run(t *testing.T, data, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, append(args, "--data", data)...)
	cmd.Dir = data
	cmd.Env = append(os.Environ(), "SCHOOLGATE_POSTGRES=", "USER=tester")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestUsersGrantAudit(t *testing.T) {
	data := t.TempDir()
	csv := "role,username,display_name,year_group,groups,email\n" +
		"pupil,amy,Amy A,5,,\n" +
		"staff,tom,Tom T,,nominated-staff,tom@school.example\n" +
		"pupil,Bad Name,x,,,\n"
	os.WriteFile(filepath.Join(data, "mis.csv"), []byte(csv), 0o600)

	out, errOut, code := run(t, data, "", "users", "import", "mis.csv", "--by", "office")
	if code != 1 || !strings.Contains(out, "2 added") || !strings.Contains(errOut, "mis.csv:4:") {
		t.Fatalf("import: code %d\n%s\n%s", code, out, errOut)
	}
	if out, _, _ := run(t, data, "", "users", "import", "mis.csv"); !strings.Contains(out, "0 added, 0 updated, 2 unchanged") {
		t.Fatalf("re-import: %s", out)
	}
	if _, errOut, code := run(t, data, "short\n", "users", "passwd", "amy"); code != 2 || !strings.Contains(errOut, "at least 8") {
		t.Fatalf("weak password: %d %s", code, errOut)
	}
	if _, _, code := run(t, data, "correct horse battery\n", "users", "passwd", "amy"); code != 0 {
		t.Fatal("passwd failed")
	}
	out, _, _ = run(t, data, "", "users", "show", "amy", "--json")
	if !strings.Contains(out, `"policy_groups":["pupils-ks2"]`) || !strings.Contains(out, `"password_set":true`) {
		t.Fatalf("show: %s", out)
	}
	out, _, _ = run(t, data, "", "users", "list", "--json")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(out, `"username":"amy"`) ||
		!strings.Contains(out, `"username":"tom"`) || !strings.Contains(out, `"policy_groups":["pupils-ks2"]`) {
		t.Fatalf("list --json: %s", out)
	}
	if _, errOut, code := run(t, data, "", "users", "add", "class2", "--role", "staff", "--shared"); code != 2 || !strings.Contains(errOut, "not a KS1 group") {
		t.Fatalf("shared staff: %d %s", code, errOut)
	}
	if _, _, code := run(t, data, "", "users", "add", "class2", "--year", "2", "--shared"); code != 0 {
		t.Fatal("shared KS1 log-on refused")
	}

	if _, errOut, code := run(t, data, "", "grant", "--to", "amy", "--category", "social-media", "--for", "45m"); code != 2 || !strings.Contains(errOut, "--by, --reason") {
		t.Fatalf("grant without --by: %d %s", code, errOut)
	}
	if _, errOut, code := run(t, data, "", "grant", "--to", "amy", "--category", "social-media", "--for", "45m", "--by", "x", "--reason", "y"); code != 2 || !strings.Contains(errOut, `--by must name a member of staff with the teacher, technical, esafety-lead or dsl role; "x" is not`) {
		t.Fatalf("grant by someone unknown: %d %s", code, errOut)
	}
	if _, _, code := run(t, data, "", "users", "add", "mrs.smith", "--role", "teacher", "--by", "office"); code != 0 {
		t.Fatal("users add mrs.smith failed")
	}
	if _, errOut, code := run(t, data, "", "grant", "--to", "amy", "--category", "illegal", "--for", "45m", "--by", "mrs.smith", "--reason", "y"); code != 2 || !strings.Contains(errOut, "illegal") {
		t.Fatalf("illegal grant: %d %s", code, errOut)
	}
	out, _, code = run(t, data, "", "grant", "--to", "amy", "--category", "social-media", "--for", "45m", "--by", "mrs.smith", "--reason", "RE project")
	if code != 0 || !strings.HasPrefix(out, "override 1: allow category social-media for user amy until ") {
		t.Fatalf("grant: %d %s", code, out)
	}
	if out, _, _ := run(t, data, "", "grant", "list", "--json"); !strings.Contains(out, `"Category":"social-media"`) {
		t.Fatalf("grant list: %s", out)
	}

	out, _, code = run(t, data, "", "audit", "head")
	m := regexp.MustCompile(`^(\d+) ([0-9a-f]{64})\n$`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("head: %q", out)
	}
	head := m[2]
	if out, _, code := run(t, data, "", "audit", "verify", "--head", head); code != 0 || !strings.HasPrefix(out, "OK: "+m[1]+" records") {
		t.Fatalf("verify: %d %s", code, out)
	}
	out, _, _ = run(t, data, "", "audit", "list")
	for _, want := range []string{`"action":"user.create","object":"user:amy"`, `"action":"user.password"`, `"actor":"mrs.smith"`, `"action":"override.create"`, `"actor":"office"`} {
		if !strings.Contains(out, want) {
			t.Errorf("audit list lacks %s", want)
		}
	}
	if strings.Contains(out, "argon2") {
		t.Error("audit list holds a password hash")
	}

	// Tamper with the database behind the program's back.
	db, err := sql.Open("sqlite", filepath.Join(data, "schoolgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit SET actor = 'nobody' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	out, _, code = run(t, data, "", "audit", "verify")
	if code != 1 || !strings.Contains(out, "BROKEN at record 2") {
		t.Fatalf("edited record: %d %s", code, out)
	}
	db.Exec(`UPDATE audit SET actor = 'office' WHERE id = 2`)
	db.Exec(`DELETE FROM audit WHERE id = (SELECT MAX(id) FROM audit)`)
	if _, _, code := run(t, data, "", "audit", "verify"); code != 0 {
		t.Fatal("a chain cut short verifies on its own")
	}
	out, _, code = run(t, data, "", "audit", "verify", "--head", head)
	if code != 1 || !strings.Contains(out, "cut off") {
		t.Fatalf("cut-off tail: %d %s", code, out)
	}

	// Activity: nothing logged yet; the search itself is audited.
	out, _, code = run(t, data, "", "activity", "search", "--user", "amy", "--since", "7d", "--by", "dsl")
	if code != 0 || out != "time,client,user,groups,host,url,categories,verdict,illegal,rule,point,search,action,ref\n" {
		t.Fatalf("search: %d %q", code, out)
	}
	if out, _, _ := run(t, data, "", "audit", "list", "--action", "activity.search"); !strings.Contains(out, `"actor":"dsl"`) {
		t.Fatalf("search not audited: %s", out)
	}
	if out, _, code := run(t, data, "", "activity", "purge", "--dry-run"); code != 0 || !strings.HasPrefix(out, "would purge: 0 DNS events") {
		t.Fatalf("purge: %d %s", code, out)
	}
}
