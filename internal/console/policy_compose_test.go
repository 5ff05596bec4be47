package console

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// withComposed runs the console on a school's policy composed over the
// test policy as the trust's: the school blocks social media for
// pupils-ks2, where the trust asks for staff permission.
func (f *fixture) withComposed() {
	t := f.t
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"trust.yaml":  testPolicy + "sites: {school: {name: Test School, timezone: Europe/London}}\n",
		"school.yaml": "extends: trust.yaml\nsite: {id: school}\nrules:\n  social-media: {pupils-ks2: block}\n",
		"illegal.txt": "abuse.example\n", "social.txt": "social.example\n", "games.txt": "games.example\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.LoadComposed(filepath.Join(dir, "school.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := policy.Compile(cfg, policy.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	f.c.snap = func() *policy.Snapshot { return snap }
}

// TestPolicyPageComposed: on a school's composed policy the cells the
// school changed carry a class, a visible "School" mark (not colour
// alone) and the trust's cell in their tooltip, under a legend; cells it
// left, and a policy that was not composed, carry none.
func TestPolicyPageComposed(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		teacher := f.browser()
		teacher.signIn("r-teacher", "")
		_, _, plain := teacher.do("GET", "/policy", nil)
		if strings.Contains(plain, "school-changed") || strings.Contains(plain, `id="policy-legend"`) {
			t.Fatal("a policy that was not composed shows school marks")
		}
		f.withComposed()
		st, _, body := teacher.do("GET", "/policy", nil)
		if st != http.StatusOK {
			t.Fatalf("policy: %d", st)
		}
		want := `<td class="cell-block school-changed" title="block (the school's; the trust's cell: permission)">Unacceptable <span class="changed-mark">School</span></td>`
		if !strings.Contains(body, want) || !strings.Contains(body, `id="policy-legend"`) {
			t.Fatalf("the changed cell or the legend is missing; want %s\n%s", want, body)
		}
		if n := strings.Count(body, "school-changed"); n != 1 {
			t.Errorf("%d cells marked, want the one the school changed", n)
		}
		row := body[strings.Index(body, `id="cat-social-media"`):]
		row = row[:strings.Index(row, "</tr>")]
		if !strings.Contains(row, `<td class="cell-allow" title="allow">Acceptable</td>`) {
			t.Errorf("the staff cell the school left is not plain: %s", row)
		}
		st, _, body = teacher.do("GET", "/api/v1/policy/table", nil)
		var table policyTableView
		if err := json.Unmarshal([]byte(body), &table); st != http.StatusOK || err != nil {
			t.Fatalf("api policy table: %d %v", st, err)
		}
		var changed []string
		for _, r := range table.Rows {
			for i, c := range r.Cells {
				if c.Changed {
					changed = append(changed, r.Category+"/"+table.Groups[i]+": "+c.Trust+" -> "+c.Rule)
				}
			}
		}
		if len(changed) != 1 || changed[0] != "social-media/pupils-ks2: permission -> block" {
			t.Errorf("api policy table changed cells = %v", changed)
		}
	})
}
