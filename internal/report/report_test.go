package report_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/report"
	"schoolgate/internal/report/reportfixture"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
	"schoolgate/internal/store/storetest"
)

// fixture is a store of either back end seeded with the report's
// fixture, and a reporter over it.
type fixture struct {
	rep    *report.Reporter
	st     *store.Store
	seeded reportfixture.Seeded
	period report.Period
}

func newFixture(t *testing.T, backend string, sources func(*store.Store) report.Sources) fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	files := map[string]string{"policy.yaml": reportfixture.Policy}
	for k, v := range reportfixture.Lists {
		files[k] = v
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
	period, err := report.Term("autumn-2026", snap.Location())
	if err != nil {
		t.Fatal(err)
	}
	now := period.From.Add(70 * 24 * time.Hour)
	opt := store.Options{SQLitePath: filepath.Join(dir, "schoolgate.db"), Now: func() time.Time { return now }}
	if backend == "postgres" {
		opt = store.Options{PostgresDSN: storetest.PostgresDSN(t), Now: func() time.Time { return now }}
	}
	st, err := store.Open(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seeded, err := reportfixture.Seed(ctx, st, period.From)
	if err != nil {
		t.Fatal(err)
	}
	src := report.Sources(report.StoreSources{Store: st})
	if sources != nil {
		src = sources(st)
	}
	rep := report.New(report.Options{Sources: src, Snapshot: func() *policy.Snapshot { return snap }, Now: func() time.Time { return now }})
	return fixture{rep: rep, st: st, seeded: seeded, period: period}
}

func backends(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

var governor = safeguarding.Actor{Username: "gov.ravensworth", Roles: []identity.Role{identity.RoleGovernor}, Site: reportfixture.Site}

func row(t *testing.T, tb report.Table, label string) report.Figure {
	t.Helper()
	for _, r := range tb.Rows {
		if r.Label == label {
			return r.Count
		}
	}
	t.Fatalf("%s: no row %q in %+v", tb.Title, label, tb.Rows)
	return report.Figure{}
}

func TestGovernorsReport(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend, nil)
		ctx := context.Background()
		rep, err := f.rep.Governors(ctx, governor, f.period)
		if err != nil {
			t.Fatal(err)
		}
		want := func(what string, fig report.Figure, s string) {
			t.Helper()
			if fig.String() != s {
				t.Errorf("%s = %s, want %s", what, fig, s)
			}
		}
		inc := rep.Incidents
		// The other site's incident is not counted.
		want("incidents", inc.ByCategory.Total, "16")
		want("bullying", row(t, inc.ByCategory, "Sending an email, text or message that is regarded as offensive, harassment or of a bullying nature"), "7")
		// The two suppressed rows add up to 3: anyone could take the
		// shown rows from the total and find it, so the smallest shown
		// row goes too.
		want("social media", row(t, inc.ByCategory, "Unauthorised use of social media, messaging apps or personal email"), "withheld")
		want("pornography (2)", row(t, inc.ByCategory, "Deliberately accessing or trying to access offensive or pornographic material"), "fewer than 5")
		want("staff incident (1)", row(t, inc.ByCategory, "Using personal email, social networking or messaging to communicate with pupils"), "fewer than 5")
		want("KS3", row(t, inc.ByStage, "Key stage 3 (years 7–9)"), "7")
		want("KS4", row(t, inc.ByStage, "Key stage 4 (years 10–11)"), "withheld")
		want("unknown (the outsider)", row(t, inc.ByStage, "Unknown (no year group, or someone from outside)"), "fewer than 5")
		want("KS2 (2)", row(t, inc.ByStage, "Key stage 2 (years 3–6)"), "fewer than 5")
		want("staff (1)", row(t, inc.ByStage, "Staff"), "fewer than 5")
		want("KS1", row(t, inc.ByStage, "Key stage 1 (years 1–2)"), "0")
		want("referred (2)", row(t, inc.ByAction, "Referred (police, CEOP, designated officer or others)"), "fewer than 5")
		want("action recorded", row(t, inc.ByAction, "Action recorded by staff"), "withheld")
		want("no action", row(t, inc.ByAction, "No action recorded yet"), "7")

		if !strings.Contains(rep.Sanctions.NotRecorded, "not recorded") || len(rep.Sanctions.Rows) != 0 {
			t.Errorf("sanctions without a source: %+v", rep.Sanctions)
		}
		if !strings.Contains(rep.Checks.NotRecorded, "not recorded") {
			t.Errorf("checks without a source: %+v", rep.Checks)
		}

		want("blocked games", row(t, rep.Blocked.ByCategory, "Games"), itoa(f.seeded.BlockedGames))
		adult := row(t, rep.Blocked.ByCategory, "Adult content")
		want("blocked adult (1)", adult, "fewer than 5")
		if n := len(rep.Blocked.Weekly.Weeks); n < 17 || n > 19 {
			t.Errorf("autumn has %d weeks", n)
		}
		if rep.Blocked.Weekly.Weeks[0].Weekday() != time.Monday {
			t.Errorf("weeks start on %s", rep.Blocked.Weekly.Weeks[0].Weekday())
		}

		want("declined (2)", row(t, rep.Changes.Requests, "Declined"), "fewer than 5")
		want("approved (1)", row(t, rep.Changes.Requests, "Approved"), "fewer than 5")
		want("unblocks (1)", row(t, rep.Changes.Exceptions, "Unblocks (from requests or made directly)"), "fewer than 5")
		want("grants", row(t, rep.Changes.Exceptions, "Grants of a permission for a while"), "0")
		want("requests total (2)", rep.Changes.Requests.Total, "fewer than 5")
		if len(rep.Changes.PolicyExceptions) != 1 || rep.Changes.PolicyExceptions[0].Reason != "Used in computing lessons" {
			t.Errorf("policy exceptions: %+v", rep.Changes.PolicyExceptions)
		}
		if len(rep.AUA.Rows) == 0 || rep.AUA.Rows[0].Role != "Pupils" {
			t.Fatalf("AUA rows: %+v", rep.AUA.Rows)
		}
		pupils := rep.AUA.Rows[0]
		// 6 of 8 accepted: the 2 outstanding are suppressed, and so the
		// 6 (8 − 6 would give them) is withheld; no share.
		want("pupils accepted", pupils.Accepted, "withheld")
		want("pupils outstanding", pupils.Outstanding, "fewer than 5")
		want("pupils", pupils.People, "8")
		if pupils.Share != "" {
			t.Errorf("share shown from suppressed figures: %s", pupils.Share)
		}

		// Nothing named in the JSON form, and no zeros for what is not
		// recorded.
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		var sections struct{ Sanctions, Checks map[string]any }
		if err := json.Unmarshal(b, &sections); err != nil {
			t.Fatal(err)
		}
		for what, m := range map[string]map[string]any{"sanctions": sections.Sanctions, "checks": sections.Checks} {
			if _, ok := m["not_recorded"]; !ok || m["total"] != nil || m["rows"] != nil || m["reviews"] != nil {
				t.Errorf("%s in JSON: %v", what, m)
			}
		}
		for _, name := range f.seeded.Names {
			if strings.Contains(strings.ToLower(string(b)), strings.ToLower(name)) {
				t.Errorf("the report names %q", name)
			}
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// With the sanctions and checks wired, their sections have figures.
func TestGovernorsReportSanctionsAndChecks(t *testing.T) {
	f := newFixture(t, "sqlite", func(st *store.Store) report.Sources {
		return report.StoreSources{Store: st,
			SanctionCounts: func(ctx context.Context, site string, from, to time.Time) (map[string]int64, error) {
				if site != reportfixture.Site {
					return nil, errors.New("wrong site")
				}
				return map[string]int64{"refer_to_class_teacher": 9, "removal_of_access": 2, "inform_parents": 6}, nil
			},
			ChecksIn: func(ctx context.Context, site string, from, to time.Time) ([]report.Check, error) {
				var out []report.Check
				for i := range 12 {
					out = append(out, report.Check{At: from.Add(time.Duration(i) * 24 * time.Hour), Kind: "check", Passed: i != 3, Measured: i%2 == 0})
				}
				return append(out, report.Check{At: from.Add(30 * 24 * time.Hour), Kind: "review"}), nil
			},
		}
	})
	rep, err := f.rep.Governors(context.Background(), governor, f.period)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sanctions.NotRecorded != "" || row(t, rep.Sanctions, "Refer to class teacher").String() != "9" ||
		row(t, rep.Sanctions, "Removal of access").String() != "fewer than 5" || row(t, rep.Sanctions, "Inform parents").String() != "withheld" {
		t.Errorf("sanctions: %+v", rep.Sanctions)
	}
	if rep.Checks.NotRecorded != "" || rep.Checks.Checks.Total.String() != "12" || rep.Checks.LastReview != "1 October 2026" {
		t.Errorf("checks: %+v", rep.Checks)
	}
	if got := row(t, rep.Checks.Checks, "Self-test (measured): as expected").String(); got != "6" {
		t.Errorf("measured and passed: %s", got)
	}
}

// An incident whose category is not in the policy or the built-in list
// is counted without its category's name (which could be anything).
func TestGovernorsReportUnknownCategory(t *testing.T) {
	f := newFixture(t, "sqlite", nil)
	ctx := context.Background()
	if _, err := f.st.CreateIncident(ctx, store.Actor{Name: "ms.grimsditch"}, store.Incident{Site: reportfixture.Site,
		OccurredAt: f.period.From.Add(48 * time.Hour), Category: "about-Tobias-Merriweather", Summary: "x"}); err != nil {
		t.Fatal(err)
	}
	rep, err := f.rep.Governors(ctx, governor, f.period)
	if err != nil {
		t.Fatal(err)
	}
	if got := row(t, rep.Incidents.ByCategory, "Other (a category no longer in the policy)").String(); got != "fewer than 5" {
		t.Errorf("other: %s", got)
	}
	b, _ := json.Marshal(rep)
	if strings.Contains(strings.ToLower(string(b)), "merriweather") {
		t.Error("the report names the unknown category")
	}
}

func TestGovernorsReportRefusesOthers(t *testing.T) {
	f := newFixture(t, "sqlite", nil)
	for _, roles := range [][]identity.Role{{identity.RoleTeacher}, {identity.RoleTechnical}, {identity.RolePupil}, {identity.RoleStaff}} {
		a := safeguarding.Actor{Username: "someone", Roles: roles, Site: reportfixture.Site}
		if _, err := f.rep.Governors(context.Background(), a, f.period); !errors.Is(err, safeguarding.ErrForbidden) {
			t.Errorf("%v: %v, want ErrForbidden", roles, err)
		}
	}
}

func TestPeriods(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ preset, from, to string }{
		{"autumn-2026", "2026-09-01T00:00:00+01:00", "2027-01-01T00:00:00Z"},
		{"spring-2027", "2027-01-01T00:00:00Z", "2027-04-01T00:00:00+01:00"},
		{"summer-2027", "2027-04-01T00:00:00+01:00", "2027-09-01T00:00:00+01:00"},
	} {
		p, err := report.Term(c.preset, london)
		if err != nil {
			t.Fatal(err)
		}
		if p.From.Format(time.RFC3339) != c.from || p.To.Format(time.RFC3339) != c.to {
			t.Errorf("%s: %s to %s, want %s to %s", c.preset, p.From.Format(time.RFC3339), p.To.Format(time.RFC3339), c.from, c.to)
		}
	}
	for _, bad := range []string{"winter-2026", "autumn", "autumn-26", ""} {
		if _, err := report.Term(bad, london); !errors.Is(err, report.ErrPeriod) {
			t.Errorf("Term(%q): %v", bad, err)
		}
	}
	p, err := report.Between("2026-09-01", "2026-12-31", london)
	if err != nil || p.To.Format(time.RFC3339) != "2027-01-01T00:00:00Z" || p.Name != "1 September 2026 to 31 December 2026" {
		t.Errorf("Between dates: %+v, %v", p, err)
	}
	if p, err := report.Between("2026-09-01T08:00:00Z", "2026-09-02T08:00:00Z", london); err != nil || p.To.Sub(p.From) != 24*time.Hour {
		t.Errorf("Between times: %+v, %v", p, err)
	}
	for _, c := range [][2]string{{"2026-12-01", "2026-09-01"}, {"yesterday", "2026-09-01"}, {"2026-09-01", ""}, {"2024-01-01", "2026-01-01"}} {
		if _, err := report.Between(c[0], c[1], london); !errors.Is(err, report.ErrPeriod) {
			t.Errorf("Between(%q, %q): %v", c[0], c[1], err)
		}
	}
	if got := report.TermOf(time.Date(2027, 3, 31, 12, 0, 0, 0, london)); got != "spring-2027" {
		t.Errorf("TermOf: %s", got)
	}
}
