package e2e

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/store/storetest"
)

// TestLDAPDirectory: Debian's slapd over StartTLS with staff, a pupil and
// a disabled account, and the real binary. `users sync` adds them (the
// disabled one disabled here); a second run changes nothing. serve with
// identity.password: ldap checks proxy log-ins by bind: the pupil's
// directory password passes the proxy and is filtered as that pupil
// (their directory group), a wrong password and the disabled account get
// 407. With slapd stopped, `users sync` fails with a clear message and
// exit code 1, and the users stay. On SQLite and PostgreSQL.
func TestLDAPDirectory(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			var env []string
			if backend == "postgres" {
				env = append(env, "SCHOOLGATE_POSTGRES="+storetest.PostgresDSN(t))
			}
			testLDAPDirectory(t, env)
		})
	}
}

func testLDAPDirectory(t *testing.T, env []string) {
	o := proxyStartOrigins(t)
	s := startSlapdServer(t)
	in := identityInstance(t, s.policy(t, t.TempDir()), env...)

	type person struct {
		Username    string   `json:"username"`
		DisplayName string   `json:"display_name"`
		YearGroup   string   `json:"year_group"`
		Email       string   `json:"email"`
		Roles       []string `json:"roles"`
		Groups      []string `json:"groups"`
		Disabled    bool     `json:"disabled"`
	}
	show := func(name string) person {
		t.Helper()
		var p person
		out := in.cli(t, "", "users", "show", name, "--json")
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("users show %s: %v\n%s", name, err, out)
		}
		return p
	}
	people := func() []person {
		t.Helper()
		return []person{show("amy.shah"), show("jo.pupil"), show("old.teacher")}
	}
	// changes counts the audit records of changes to people (each sync
	// also records its summary, users.import).
	changes := func() int {
		t.Helper()
		return strings.Count(in.cli(t, "", "audit", "list", "--by", "e2e"), `"action":"user.`)
	}

	// Two syncs: the first adds the three, the second changes nothing.
	out := in.cli(t, "", "users", "sync", "--by", "office")
	if !strings.Contains(out, "3 people in the directory: 3 added, 0 updated, 0 unchanged, 0 missing from it disabled, 1 disabled there disabled here") {
		t.Fatalf("first sync:\n%s", out)
	}
	first, records := people(), changes()
	amy, jo, old := first[0], first[1], first[2]
	if strings.Join(amy.Roles, ",") != "teacher" || amy.DisplayName != "Amy Shah" || amy.Email != "amy@school.example" || strings.Join(amy.Groups, ",") != "staff" || amy.Disabled {
		t.Errorf("amy.shah: %+v", amy)
	}
	if strings.Join(jo.Roles, ",") != "pupil" || jo.YearGroup != "5" || strings.Join(jo.Groups, ",") != "pupils" || jo.Disabled {
		t.Errorf("jo.pupil: %+v", jo)
	}
	if records < 4 {
		t.Errorf("the first sync audited %d changes to people, want 3 added and 1 disabled", records)
	}
	if !old.Disabled {
		t.Errorf("old.teacher, disabled in the directory, is enabled here: %+v", old)
	}
	out = in.cli(t, "", "users", "sync", "--by", "office")
	if !strings.Contains(out, "3 people in the directory: 0 added, 0 updated, 3 unchanged, 0 missing from it disabled, 0 disabled there disabled here") {
		t.Errorf("second sync:\n%s", out)
	}
	if again, n := people(), changes(); n != records || !samePeople(again, first) {
		t.Errorf("the second sync changed something: %d audited changes, before %d\n%+v\n%+v", n, records, again, first)
	}

	// Proxy log-ins checked by bind. From a staff address, the pupil's
	// directory group decides: social media needs permission for pupils.
	identityServe(t, in)
	site := "http://social.test:" + o.http + "/feed"
	if code, body, err := in.curl(t, "127.0.0.3", "--proxy-user", "jo.pupil:Pupil-Pass-77", site); code != 403 || !strings.Contains(body, "Ask for access") {
		t.Errorf("jo.pupil with the directory password: %d %v, want the permission page\n%s", code, err, body)
	}
	if code, body, err := in.curl(t, "127.0.0.3", "--proxy-user", "amy.shah:Kestrel-Harbour-9", site); code != 200 {
		t.Errorf("amy.shah (staff) with the directory password: %d %v\n%s", code, err, body)
	}
	for _, cred := range []string{"jo.pupil:wrong-password", "jo.pupil:", "old.teacher:Left-Last-Year-1", "nobody:x"} {
		if code, _, _ := in.curl(t, "127.0.0.3", "--proxy-user", cred, site); code != 407 {
			t.Errorf("%s: %d, want 407", strings.SplitN(cred, ":", 2)[0], code)
		}
	}
	// The activity log is written in batches, a moment after the visit.
	var found string
	waitFor(t, 10*time.Second, "jo.pupil's visit in the activity log", func() bool {
		found = in.cli(t, "", "activity", "search", "--user", "jo.pupil", "--format", "json", "--by", "dsl")
		return strings.Contains(found, "social.test")
	})
	if log := in.logText(); strings.Contains(log, "jo.pupil") || strings.Contains(log, "Pupil-Pass-77") {
		t.Errorf("the system log names the pupil or her password:\n%s", log)
	}

	// The directory down: a clear error, exit code 1, the users stay.
	s.stop()
	out, errOut, err := in.cliRun("", "users", "sync", "--by", "office")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("users sync with the directory down: %v, want exit code 1\n%s%s", err, out, errOut)
	}
	if !strings.Contains(errOut, "users sync:") || !strings.Contains(errOut, "the directory is unavailable") ||
		!strings.Contains(errOut, strings.TrimPrefix(s.url, "ldap://")) || !strings.Contains(errOut, "the users stay as they were") {
		t.Errorf("users sync with the directory down says:\n%s", errOut)
	}
	if after := people(); !samePeople(after, first) {
		t.Errorf("after a failed sync: %+v", after)
	}
}

func samePeople[T any](a, b []T) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
