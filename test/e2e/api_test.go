package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAPIBearerCurl: the real binary. `tokens create` prints a token
// (alone on stdout); curl with it as a bearer reaches /api/v1/me as that
// person, and a grant made with it takes effect; without it, or once
// revoked, every path answers 401; a pupil can have no token.
func TestAPIBearerCurl(t *testing.T) {
	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	for name, body := range proxyLists {
		dnsWrite(t, in.dir, name, body)
	}
	dnsWrite(t, in.dir, "policy.yaml", proxyPolicyBase+"console: {listen: 127.0.0.1:0, tls: off}\n")
	in.env = append(os.Environ(), "SCHOOLGATE_DATA="+in.data)
	in.cli(t, "", "users", "add", "mrsmith", "--name", "Mr Smith", "--role", "teacher", "--by", "admin")
	in.cli(t, "", "users", "add", "pupil1", "--role", "pupil", "--year", "5", "--by", "admin")
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data)
	cmd.Env = in.env
	cmd.Stdout = &lockedBuffer{}
	base := in.start(t, cmd, consoleListenRe)[0]
	waitFor(t, 20*time.Second, "serve ready", func() bool { return strings.Contains(in.logText(), "schoolgate ready") })

	out := in.cli(t, "", "tokens", "create", "--user", "mrsmith", "--name", "timetable sync", "--expires", "30d", "--by", "it-office")
	token := strings.TrimSuffix(out, "\n")
	if !strings.HasPrefix(token, "sg_") || strings.ContainsAny(token, " \n") || len(token) < 40 {
		t.Fatalf("tokens create printed %q", out)
	}
	curl := func(args ...string) (string, string) {
		t.Helper()
		all := append([]string{"-sS", "-o", "-", "-w", "\n%{http_code}"}, args...)
		b, err := exec.Command("curl", all...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, b)
		}
		return strings.TrimSuffix(string(b[:len(b)-3]), "\n"), string(b[len(b)-3:])
	}
	body, code := curl("-H", "Authorization: Bearer "+token, base+"/api/v1/me")
	var me struct {
		Username    string   `json:"username"`
		DisplayName string   `json:"display_name"`
		Roles       []string `json:"roles"`
	}
	if code != "200" || json.Unmarshal([]byte(body), &me) != nil || me.Username != "mrsmith" || me.DisplayName != "Mr Smith" || len(me.Roles) != 1 || me.Roles[0] != "teacher" {
		t.Fatalf("me: %s %s", code, body)
	}
	// A teacher may not read the requests: 403 naming the capability.
	if body, code := curl("-H", "Authorization: Bearer "+token, base+"/api/v1/requests"); code != "403" || !strings.Contains(body, `"capability": "decide-requests"`) {
		t.Errorf("requests as a teacher: %s %s", code, body)
	}
	// A teacher's grant through the API opens the cell for the pupil:
	// check (which reads the live grants, as serve does) says so.
	if out := in.cli(t, "", "check", "--user", "pupil1", "social.test"); !strings.Contains(out, `"verdict":"block"`) {
		t.Fatalf("before the grant: %s", out)
	}
	body, code = curl("-X", "POST", "-H", "Authorization: Bearer "+token, "-H", "Content-Type: application/json",
		"-d", `{"to":"user:pupil1","category":"social","for":"45m","reason":"a lesson on privacy"}`, base+"/api/v1/grants")
	if code != "201" {
		t.Fatalf("grant: %s %s", code, body)
	}
	if out := in.cli(t, "", "check", "--user", "pupil1", "social.test"); !strings.Contains(out, `"verdict":"allow"`) {
		t.Errorf("after the grant: %s", out)
	}
	for _, p := range []string{"/api/v1/me", "/api/v1/nothing", "/api/v1/requests"} {
		if _, code := curl(base + p); code != "401" {
			t.Errorf("%s without a token: %s", p, code)
		}
	}
	if _, errOut, err := in.cliRun("", "tokens", "create", "--user", "pupil1", "--name", "x"); err == nil || !strings.Contains(errOut, "cannot have an API token") {
		t.Errorf("a pupil's token: %v %s", err, errOut)
	}
	var listed struct {
		ID   int64  `json:"id"`
		User string `json:"user"`
		Name string `json:"name"`
	}
	list := in.cli(t, "", "tokens", "list", "--json")
	if json.Unmarshal([]byte(list), &listed) != nil || listed.User != "mrsmith" || listed.Name != "timetable sync" || strings.Contains(list, token) {
		t.Fatalf("tokens list: %s", list)
	}
	in.cli(t, "", "tokens", "revoke", "1", "--by", "it-office")
	if _, code := curl("-H", "Authorization: Bearer "+token, base+"/api/v1/me"); code != "401" {
		t.Errorf("a revoked token: %s", code)
	}
	if audit := in.cli(t, "", "audit", "list"); !strings.Contains(audit, "api-token.create") || !strings.Contains(audit, "api-token.revoke") {
		t.Errorf("audit trail:\n%s", audit)
	}
}
