package safeguarding

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/store"
)

func (f *fixture) incidents() *Incidents {
	return NewIncidents(IncidentsOptions{Store: f.st, Directory: f.dir, Now: func() time.Time { return f.now }})
}

// TestIncidentLog walks the reporting log's rules on both databases:
// who records, who reads what, append-only corrections, closing.
func TestIncidentLog(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		inc := f.incidents()
		teacher, dsl, tech, head := f.actor(t, "mr.teach"), f.actor(t, "ms.dsl"), f.actor(t, "tech"), f.actor(t, "head")
		at := f.now.Add(-time.Hour)

		pupilInc, err := inc.Record(ctx, teacher, NewIncident{OccurredAt: at, Category: "pornography", Summary: "Tried adult sites in ICT", People: []string{"jsmith"}})
		if err != nil {
			t.Fatal(err)
		}
		if pupilInc.AboutStaff || pupilInc.Site != "school" || pupilInc.Status != store.IncidentOpen || pupilInc.ReportedBy != "mr.teach" {
			t.Fatalf("pupil incident: %+v", pupilInc)
		}
		staffInc, err := inc.Record(ctx, teacher, NewIncident{OccurredAt: at, Category: "professional-standing", Summary: "Messages to a pupil", People: []string{"jsmith", "tech"}, Outsiders: []string{"a parent"}})
		if err != nil {
			t.Fatal(err)
		}
		if !staffInc.AboutStaff || len(staffInc.People) != 3 || staffInc.People[2].Description != "a parent" {
			t.Fatalf("staff incident: %+v", staffInc)
		}
		// Bad input names the field.
		for _, n := range []NewIncident{
			{OccurredAt: at, Category: "no-such", Summary: "x"},
			{OccurredAt: at, Category: "pornography", Summary: "  "},
			{Category: "pornography", Summary: "x"},
			{OccurredAt: f.now.Add(time.Hour), Category: "pornography", Summary: "x"},
			{OccurredAt: at, Category: "pornography", Summary: "x", People: []string{"nobody"}},
		} {
			if _, err := inc.Record(ctx, teacher, n); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: %v, want ErrInvalid", n, err)
			}
		}
		// A pupil and a governor record nothing.
		if _, err := inc.Record(ctx, f.actor(t, "jsmith"), NewIncident{OccurredAt: at, Category: "pornography", Summary: "x"}); !errors.Is(err, ErrForbidden) {
			t.Errorf("pupil records: %v", err)
		}

		// The teacher sees the pupil incident in full and only that they
		// reported the staff one.
		v, err := inc.Get(ctx, teacher, pupilInc.ID)
		if err != nil || v.Restricted || v.Summary == "" {
			t.Fatalf("teacher reads own pupil incident: %+v %v", v, err)
		}
		v, err = inc.Get(ctx, teacher, staffInc.ID)
		if err != nil || !v.Restricted || v.Summary != "" || len(v.People) != 0 {
			t.Fatalf("teacher reads own staff incident: %+v %v", v, err)
		}
		// Technical reported neither: forbidden.
		if _, err := inc.Get(ctx, tech, pupilInc.ID); !errors.Is(err, ErrForbidden) {
			t.Errorf("technical reads another's incident: %v", err)
		}
		// The dsl and slt read both.
		for _, a := range []Actor{dsl, head} {
			if v, err := inc.Get(ctx, a, staffInc.ID); err != nil || v.Restricted || v.Summary == "" {
				t.Errorf("%s reads staff incident: %+v %v", a.Username, v, err)
			}
		}
		// Lists follow the same scopes.
		list, err := inc.List(ctx, teacher, store.IncidentFilter{})
		if err != nil || len(list) != 2 {
			t.Fatalf("teacher's list: %d %v", len(list), err)
		}
		if list, _ := inc.List(ctx, tech, store.IncidentFilter{}); len(list) != 0 {
			t.Errorf("technical sees %d incidents", len(list))
		}
		if list, _ := inc.List(ctx, dsl, store.IncidentFilter{Person: "jsmith"}); len(list) != 2 {
			t.Errorf("dsl, jsmith's incidents: %d", len(list))
		}
		// Another site sees nothing.
		other := dsl
		other.Site = "school-b"
		if _, err := inc.Get(ctx, other, pupilInc.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("other site: %v", err)
		}

		// Corrections keep the original.
		if _, err := inc.Correct(ctx, teacher, pupilInc.ID, "summary", "Tried adult sites in ICT, twice", ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("correction without a reason: %v", err)
		}
		if _, err := inc.Correct(ctx, teacher, pupilInc.ID, "summary", "Tried adult sites in ICT, twice", "second attempt seen in the log"); err != nil {
			t.Fatal(err)
		}
		if _, err := inc.AddAction(ctx, teacher, pupilInc.ID, "Spoke to the pupil"); err != nil {
			t.Fatal(err)
		}
		v, err = inc.Get(ctx, dsl, pupilInc.ID)
		if err != nil || v.Summary != "Tried adult sites in ICT" || v.Current.Summary != "Tried adult sites in ICT, twice" || len(v.Entries) != 2 {
			t.Fatalf("history: %+v %v", v, err)
		}
		// Closing needs an outcome, and the lead.
		if err := inc.Close(ctx, teacher, pupilInc.ID, "Warning given"); !errors.Is(err, ErrForbidden) {
			t.Errorf("teacher closes: %v", err)
		}
		if err := inc.Close(ctx, dsl, pupilInc.ID, " "); !errors.Is(err, ErrInvalid) {
			t.Errorf("close without outcome: %v", err)
		}
		if err := inc.Close(ctx, dsl, pupilInc.ID, "Warning given; parents informed"); err != nil {
			t.Fatal(err)
		}
		v, _ = inc.Get(ctx, dsl, pupilInc.ID)
		if v.Status != store.IncidentClosed || v.Outcome == "" || v.ClosedAt.IsZero() {
			t.Errorf("closed: %+v", v.Incident)
		}
		if _, err := inc.AddAction(ctx, dsl, pupilInc.ID, "late"); !errors.Is(err, ErrInvalid) {
			t.Errorf("action on a closed incident: %v", err)
		}
		// Evidence is copied, once.
		ev := map[string]any{"host": "adult.example", "verdict": "block"}
		if _, err := inc.LinkEvidence(ctx, dsl, staffInc.ID, "activity", "17", ev); err != nil {
			t.Fatal(err)
		}
		if _, err := inc.LinkEvidence(ctx, dsl, staffInc.ID, "activity", "17", ev); !errors.Is(err, store.ErrExists) {
			t.Errorf("linked twice: %v", err)
		}
		// Every view was audited, and no summary reached the trail.
		recs, err := f.st.ListAudit(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		views := 0
		for _, r := range recs {
			if r.Action == "incident.view" || r.Action == "incidents.view" {
				views++
			}
			for _, s := range []string{r.Before, r.After} {
				if strings.Contains(s, "Tried adult") || strings.Contains(s, "Messages to a pupil") {
					t.Errorf("audit %s carries the summary: %s", r.Action, s)
				}
			}
		}
		if views < 6 {
			t.Errorf("%d views audited", views)
		}
	})
}
