package console

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/report/reportfixture"
	"schoolgate/internal/store"
)

// TestGovernorsReportPage: a governor reads the term's report over the
// named fixture, as a page, a PDF and JSON; nothing in any of them names
// anyone; small counts are suppressed; each view is audited without
// names; a teacher is refused.
func TestGovernorsReportPage(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		ctx := context.Background()
		// The spring term: the clock is 9 March 2026.
		seeded, err := reportfixture.Seed(ctx, f.st, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		names := append(seeded.Names, "Ada") // the console fixture's pupil
		noNames := func(what, body string) {
			t.Helper()
			lower := strings.ToLower(body)
			for _, n := range names {
				if strings.Contains(lower, strings.ToLower(n)) {
					t.Errorf("%s names %q", what, n)
				}
			}
		}
		b := f.browser()
		b.signIn("r-governor", "")
		st, _, page := b.do("GET", "/reports/governors", nil)
		if st != http.StatusOK {
			t.Fatalf("governor: %d %s", st, page)
		}
		for _, want := range []string{"Spring term 2026", "1 January 2026 to 31 March 2026", "fewer than 5", "withheld",
			"Key stage 3 (years 7–9)", "<svg", "Download as PDF", "Exceptions written in the policy file"} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		noNames("the page", page)

		if st, _, page := b.do("GET", "/reports/governors?term=winter-2026", nil); st != http.StatusUnprocessableEntity || !strings.Contains(page, `id="error-term"`) {
			t.Errorf("a wrong term: %d", st)
		}
		st, _, pdf := b.do("GET", "/reports/governors.pdf?term=spring-2026", nil)
		if st != http.StatusOK || !strings.HasPrefix(pdf, "%PDF-") {
			t.Fatalf("PDF: %d %.40q", st, pdf)
		}

		tok := f.token("r-governor")
		st, out := f.api("GET", "/api/v1/reports/governors?from=2026-01-01&to=2026-03-31", tok, "")
		if st != http.StatusOK {
			t.Fatalf("API: %d %s", st, out)
		}
		noNames("the JSON", out)
		var rep struct {
			Period    string `json:"period"`
			Incidents struct {
				ByCategory struct {
					Total any `json:"total"`
				} `json:"by_category"`
			} `json:"incidents"`
			Sanctions struct {
				NotRecorded string `json:"not_recorded"`
			} `json:"sanctions"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		// The seeded incidents plus any the console fixture made itself.
		all, err := f.st.ListIncidents(t.Context(), store.IncidentFilter{Site: "school", Scope: store.ScopeAll,
			From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil || len(all) < seeded.Incidents {
			t.Fatalf("incidents: %d %v", len(all), err)
		}
		// Sanctions are recorded now: the section has figures, not the
		// "not recorded yet" note.
		if rep.Incidents.ByCategory.Total != float64(len(all)) || rep.Sanctions.NotRecorded != "" {
			t.Errorf("JSON: %+v", rep)
		}
		if st, out := f.api("GET", "/api/v1/reports/governors?term=spring-2026&format=pdf", tok, ""); st != http.StatusOK || !strings.HasPrefix(out, "%PDF-") {
			t.Errorf("API PDF: %d %.40q", st, out)
		}
		for q, field := range map[string]string{"from=2026-03-01&to=2026-01-01": "to", "from=soon&to=2026-01-01": "from",
			"term=winter-2026": "term", "format=docx": "format", "who=ada": "who", "term=spring-2026&from=2026-01-01": "term"} {
			st, out := f.api("GET", "/api/v1/reports/governors?"+q, tok, "")
			var e apiErr
			if st != http.StatusUnprocessableEntity || json.Unmarshal([]byte(out), &e) != nil || e.Field != field {
				t.Errorf("%s: %d %s, want 422 naming %s", q, st, out, field)
			}
		}

		recs, err := f.st.ListAudit(ctx, store.AuditFilter{Action: "report.governors"})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 4 || recs[0].Actor != "r-governor" {
			t.Fatalf("audit: %d records %+v", len(recs), recs)
		}
		for _, r := range recs {
			noNames("the audit record", r.After)
		}

		teacher := f.browser()
		teacher.signIn("r-teacher", "")
		if st, _, _ := teacher.do("GET", "/reports/governors", nil); st != http.StatusForbidden {
			t.Errorf("teacher: %d, want 403", st)
		}
		if st, _ := f.api("GET", "/api/v1/reports/governors", f.token("r-teacher"), ""); st != http.StatusForbidden {
			t.Errorf("teacher's token: %d, want 403", st)
		}
	})
}
