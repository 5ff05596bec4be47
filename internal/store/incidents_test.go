package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestIncidentEvidenceAtCreation: evidence given with a new incident is
// written in its transaction: all of it with the record, or, when one
// item is bad, neither. The list filters by category. Both databases.
func TestIncidentEvidenceAtCreation(t *testing.T) {
	backends(t, func(t *testing.T, open func(now func() time.Time) *Store) {
		ctx := context.Background()
		st := open(time.Now)
		by := Actor{Name: "mr.teach"}
		in := Incident{Site: "school", OccurredAt: time.Now().Add(-time.Hour), Category: "pornography", Summary: "x",
			People:   []IncidentPerson{{Username: "jsmith", Roles: "pupil"}},
			Evidence: []IncidentEvidence{{Kind: "activity", Ref: "SG-1", Copied: `{"host":"a.example"}`}, {Kind: "concern", Ref: "7", Copied: ""}}}
		if _, err := st.CreateIncident(ctx, by, in); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad evidence: %v", err)
		}
		if list, err := st.ListIncidents(ctx, IncidentFilter{Site: "school", Scope: ScopeAll}); err != nil || len(list) != 0 {
			t.Fatalf("a half-written incident: %+v %v", list, err)
		}
		in.Evidence[1].Copied = `{"text":"upsetting"}`
		got, err := st.CreateIncident(ctx, by, in)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := st.IncidentEvidenceOf(ctx, "school", got.ID)
		if err != nil || len(evs) != 2 || evs[0].AddedBy != "mr.teach" || evs[1].Copied != `{"text":"upsetting"}` {
			t.Errorf("evidence: %+v %v", evs, err)
		}
		if evs, _ := st.IncidentEvidenceOf(ctx, "other", got.ID); len(evs) != 0 {
			t.Errorf("another site reads the evidence: %+v", evs)
		}
		for cat, want := range map[string]int{"pornography": 1, "malware": 0} {
			if list, err := st.ListIncidents(ctx, IncidentFilter{Site: "school", Scope: ScopeAll, Category: cat}); err != nil || len(list) != want {
				t.Errorf("category %s: %d %v", cat, len(list), err)
			}
		}
	})
}
