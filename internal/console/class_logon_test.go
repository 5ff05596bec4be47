package console

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// withKS1 gives the fixture's console the test policy with year 1 mapped
// to pupils-ks2, which makes that group a KS1 group.
func (f *fixture) withKS1() {
	t := f.t
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"policy.yaml": strings.Replace(testPolicy, `year_groups: {"5": pupils-ks2}`, `year_groups: {"1": pupils-ks2, "5": pupils-ks2}`, 1),
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

// TestClassLogOns: the technician adds a KS1 class's shared log-on from
// the people page: its password is shown once and signs in through the
// directory, the log-on is listed as a class log-on (shared, pupil) and
// its creation audited; a group that is not KS1's is refused with 422
// naming the group; a teacher is refused. Both databases.
func TestClassLogOns(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		f.withKS1()
		ctx := context.Background()
		b := f.browser()
		b.signIn("r-technical", "")
		st, _, body := b.post("/people/class-logons", url.Values{"username": {"robins"}, "display_name": {"Robins <Y1>"}, "group": {"pupils-ks2"}})
		m := regexp.MustCompile(`id="class-password">([^<]+)<`).FindStringSubmatch(body)
		if st != http.StatusCreated || m == nil {
			t.Fatalf("add: %d\n%s", st, body)
		}
		u, err := f.st.GetUser(ctx, "robins")
		if err != nil || !u.Shared || len(u.Roles) != 1 || u.Roles[0] != "pupil" || strings.Join(u.Groups, ",") != "pupils-ks2" {
			t.Fatalf("stored: %+v %v", u, err)
		}
		if _, err := f.c.dir.Authenticate(ctx, "robins", m[1], netip.MustParseAddr("10.20.0.50")); err != nil {
			t.Errorf("the class password does not sign in: %v", err)
		}
		_, _, body = b.do("GET", "/people", nil)
		sec := body[strings.Index(body, `id="class-logons"`):]
		if !strings.Contains(sec, `<a href="/people/robins">robins</a>`) || !strings.Contains(sec, "Robins &lt;Y1&gt;") || strings.Contains(sec, m[1]) {
			t.Errorf("class log-ons:\n%s", sec)
		}
		if recs, err := f.st.ListAudit(ctx, store.AuditFilter{Object: "user:robins"}); err != nil || len(recs) == 0 || recs[0].Actor != "r-technical" {
			t.Errorf("audit: %+v %v", recs, err)
		}
		st, _, body = b.post("/people/class-logons", url.Values{"username": {"owls"}, "group": {"staff"}})
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, "group: ") {
			t.Errorf("a staff class log-on: %d", st)
		}
		if _, err := f.st.GetUser(ctx, "owls"); err == nil {
			t.Error("a refused class log-on was stored")
		}
		tb := f.browser()
		tb.signIn("r-teacher", "")
		if st, _, _ := tb.post("/people/class-logons", url.Values{"username": {"wrens"}, "group": {"pupils-ks2"}}); st != http.StatusForbidden {
			t.Errorf("teacher: %d", st)
		}
	})
}
