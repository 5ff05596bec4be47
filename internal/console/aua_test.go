package console

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// withAUA gives the fixture's console the test policy plus an aua:
// section for pupils-ks2 whose text carries markup.
func (f *fixture) withAUA(version string) {
	t := f.t
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"policy.yaml": testPolicy + "aua:\n  pupils-ks2: {version: \"" + version + "\", file: ks2.txt}\n",
		"ks2.txt":     "I will be kind online.\n<script>alert(1)</script>\n",
		"illegal.txt": "abuse.example\n", "social.txt": "social.example\n", "games.txt": "games.example\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := policy.Compile(cfg, policy.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	f.c.snap = func() *policy.Snapshot { return snap }
}

// TestAUAPage: the agreement's text (escaped), who accepted (when, from
// where), who has not, earlier versions counted, the publishing note,
// and the view audited; a role without manage-aua is refused.
func TestAUAPage(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		f.withAUA("2026-03")
		ctx := context.Background()
		hash := ""
		for _, u := range []string{"bea", "cal"} {
			if err := f.st.CreateUser(ctx, store.Actor{Name: "office"}, identity.User{Username: u, Roles: []identity.Role{identity.RolePupil}, YearGroup: "5"}, hash); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range []store.Acceptance{
			{User: "bea", Group: "pupils-ks2", Version: "2026-03", Client: "10.20.0.9"},
			{User: "cal", Group: "pupils-ks2", Version: "2025-09", Client: "10.20.0.10"},
		} {
			if _, err := f.st.AcceptAUA(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		b := f.browser()
		b.signIn("r-esafety-lead", "")
		st, _, body := b.do("GET", "/aua", nil)
		if st != http.StatusOK {
			t.Fatalf("aua: %d", st)
		}
		sec := body[strings.Index(body, `id="aua-pupils-ks2"`):]
		accepted, pending, _ := strings.Cut(sec[strings.Index(sec, "<h3>Accepted"):], "<h3>Not yet accepted")
		for _, want := range []string{"version 2026-03", "I will be kind online.", "&lt;script&gt;", "Version 2025-09: 1 accepted", `id="publish"`} {
			if !strings.Contains(body, want) {
				t.Errorf("aua page lacks %q", want)
			}
		}
		if strings.Contains(body, "<script>alert") {
			t.Error("agreement text not escaped")
		}
		if !strings.Contains(accepted, "<td>bea</td>") || !strings.Contains(accepted, "10.20.0.9") || strings.Contains(accepted, "<td>cal</td>") {
			t.Errorf("accepted:\n%s", accepted)
		}
		if !strings.Contains(pending, "<td>cal</td>") || !strings.Contains(pending, "<td>ada</td>") || strings.Contains(pending, "<td>bea</td>") || strings.Contains(pending, "r-teacher") {
			t.Errorf("not accepted:\n%s", pending)
		}
		recs, err := f.st.ListAudit(ctx, store.AuditFilter{Action: "console.aua.view"})
		if err != nil || len(recs) != 1 || !strings.Contains(recs[0].After, "ada") {
			t.Errorf("audit: %+v %v", recs, err)
		}
		tb := f.browser()
		tb.signIn("r-teacher", "")
		if st, _, body := tb.do("GET", "/aua", nil); st != http.StatusForbidden || strings.Contains(body, "bea") {
			t.Errorf("teacher: %d", st)
		}
	})
}
