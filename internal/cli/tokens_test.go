package cli

import (
	"context"
	"strings"
	"testing"

	"schoolgate/internal/console"
	"schoolgate/internal/store"
)

// TestTokens: create prints the token alone on stdout and the database
// keeps its hash; a pupil, someone without a console role or a bad
// --expires is refused; list shows it without the token; revoke ends it;
// each change is audited with --by.
func TestTokens(t *testing.T) {
	p := writePolicy(t, issuePolicy, issueLists)
	data := t.TempDir()
	for _, u := range [][]string{{"dsl1", "dsl"}, {"pupil7", "pupil"}} {
		if code, _, errs := run(t, "", "users", "add", u[0], "-c", p, "--data", data, "--role", u[1], "--by", "admin"); code != 0 {
			t.Fatalf("users add %s: %s", u[0], errs)
		}
	}
	if code, _, errs := run(t, "", "users", "add", "nobody1", "-c", p, "--data", data, "--by", "admin"); code != 0 {
		t.Fatalf("users add: %s", errs)
	}
	code, out, errs := run(t, "", "tokens", "create", "--user", "dsl1", "--name", "safeguarding export", "-c", p, "--data", data, "--by", "it-office")
	tok := strings.TrimSuffix(out, "\n")
	if code != 0 || !strings.HasPrefix(tok, "sg_") || strings.Contains(tok, "\n") || !strings.Contains(errs, "not shown again") {
		t.Fatalf("create: %d %q %q", code, out, errs)
	}
	for _, c := range [][]string{
		{"--user", "pupil7", "--name", "x"},
		{"--user", "nobody1", "--name", "x"},
		{"--user", "ghost", "--name", "x"},
		{"--user", "dsl1", "--name", "x", "--expires", "400d"},
		{"--user", "dsl1"},
	} {
		args := append([]string{"tokens", "create", "-c", p, "--data", data}, c...)
		if code, out, _ := run(t, "", args...); code == 0 || out != "" {
			t.Errorf("tokens create %v: %d %q", c, code, out)
		}
	}
	code, out, errs = run(t, "", "tokens", "list", "-c", p, "--data", data)
	if code != 0 || !strings.Contains(out, "dsl1") || !strings.Contains(out, "safeguarding export") || !strings.Contains(out, "active") || strings.Contains(out, tok) {
		t.Fatalf("list: %d %s %s", code, out, errs)
	}
	if code, _, errs := run(t, "", "tokens", "revoke", "1", "-c", p, "--data", data, "--by", "it-office"); code != 0 {
		t.Fatalf("revoke: %s", errs)
	}
	if code, _, _ := run(t, "", "tokens", "revoke", "99", "-c", p, "--data", data); code == 0 {
		t.Error("revoking an unknown token succeeded")
	}
	if _, out, _ := run(t, "", "tokens", "list", "-c", p, "--data", data); !strings.Contains(out, "revoked") {
		t.Errorf("list after revoke: %s", out)
	}
	st, err := store.Open(context.Background(), store.Options{SQLitePath: data + "/schoolgate.db"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.LookupAPIToken(context.Background(), console.HashAPIToken(tok))
	if err != nil || got.Username != "dsl1" || got.Revoked.IsZero() {
		t.Errorf("stored: %+v %v", got, err)
	}
	recs, err := st.ListAudit(context.Background(), store.AuditFilter{Actor: "it-office"})
	if err != nil || len(recs) != 2 || recs[0].Action != "api-token.create" || recs[1].Action != "api-token.revoke" {
		t.Errorf("audit: %+v %v", recs, err)
	}
}
