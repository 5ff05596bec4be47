package safeguarding

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/store"
)

// TestIncidentReferral: a referral is an entry with whom, the reference
// and when, by the actor; bad input names the field; a reporter of a
// staff incident (who sees only that they reported it) records none.
// The list filters by category. Both databases.
func TestIncidentReferral(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		inc := f.incidents()
		teacher, dsl := f.actor(t, "mr.teach"), f.actor(t, "ms.dsl")
		at := f.now.Add(-time.Hour)
		staffInc, err := inc.Record(ctx, teacher, NewIncident{OccurredAt: at, Category: "private-communication-with-pupils", Summary: "Messages to a pupil", People: []string{"jsmith", "tech"},
			Evidence: []Evidence{{Kind: "activity", Ref: "SG-0000abcd", Copied: map[string]string{"host": "chat.example"}}}})
		if err != nil {
			t.Fatal(err)
		}
		pupilInc, err := inc.Record(ctx, teacher, NewIncident{OccurredAt: at, Category: "pornography", Summary: "Adult site", People: []string{"jsmith"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []Referral{
			{Reference: "x", At: at},
			{To: "LADO", At: f.now.Add(time.Hour)},
			{To: "LADO"},
		} {
			if _, err := inc.Refer(ctx, dsl, staffInc.ID, r); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: %v, want ErrInvalid", r, err)
			}
		}
		if _, err := inc.Refer(ctx, teacher, staffInc.ID, Referral{To: "LADO", At: at}); !errors.Is(err, ErrForbidden) {
			t.Errorf("the reporter refers a staff incident: %v", err)
		}
		e, err := inc.Refer(ctx, dsl, staffInc.ID, Referral{To: " Local authority designated officer ", Reference: "LADO-2026-17", At: at})
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != EntryReferral || e.By != "ms.dsl" || e.Text != "Local authority designated officer" {
			t.Errorf("entry: %+v", e)
		}
		// The teacher may refer their own pupil incident (to CEOP, say).
		if _, err := inc.Refer(ctx, teacher, pupilInc.ID, Referral{To: "CEOP", At: at}); err != nil {
			t.Errorf("teacher refers own pupil incident: %v", err)
		}
		v, err := inc.Get(ctx, dsl, staffInc.ID)
		if err != nil || len(v.Entries) != 1 {
			t.Fatalf("%+v %v", v, err)
		}
		// The evidence the teacher attached while recording is there.
		if len(v.Evidence) != 1 || v.Evidence[0].Ref != "SG-0000abcd" || v.Evidence[0].AddedBy != "mr.teach" || !strings.Contains(v.Evidence[0].Copied, "chat.example") {
			t.Errorf("evidence: %+v", v.Evidence)
		}
		if _, err := inc.Record(ctx, teacher, NewIncident{OccurredAt: at, Category: "pornography", Summary: "x", Evidence: []Evidence{{Kind: "rumour", Ref: "1", Copied: 1}}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("evidence of an unknown kind: %v", err)
		}
		r, ok := ReferralOf(v.Entries[0])
		if !ok || r.Reference != "LADO-2026-17" || !r.At.Equal(at.Truncate(time.Second)) {
			t.Errorf("referral read back: %+v %v", r, ok)
		}
		if list, err := inc.List(ctx, dsl, store.IncidentFilter{Category: "pornography"}); err != nil || len(list) != 1 || list[0].ID != pupilInc.ID {
			t.Errorf("by category: %+v %v", list, err)
		}
	})
}
