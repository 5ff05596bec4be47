package safeguarding

import (
	"context"
	"errors"
	"testing"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// TestChecksPermissions: technical records a check (a failed one raises
// a finding) and resolves the finding; a governor reads but cannot
// write; a teacher can do neither; every record is the actor's site's.
func TestChecksPermissions(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		if err := f.st.CreateUser(ctx, store.Actor{Name: "office"}, identity.User{Username: "gov", Roles: []identity.Role{identity.RoleGovernor}}, ""); err != nil {
			t.Fatal(err)
		}
		c := NewChecks(ChecksOptions{Store: f.st, Directory: f.svc.dir, Now: func() time.Time { return f.now }})
		tech, gov, teacher := f.actor(t, "tech"), f.actor(t, "gov"), f.actor(t, "mr.teach")
		in := CheckInput{At: f.now.Add(-time.Hour), Target: "Library PC 2", Tested: "social media as a Year 5 pupil", Result: store.CheckFail, Actions: "told the provider"}
		k, fs, err := c.RecordCheck(ctx, tech, in)
		if err != nil || k.Measured || len(fs) != 1 || fs[0].CheckID != k.ID {
			t.Fatalf("technical records: %+v %+v %v", k, fs, err)
		}
		for _, a := range []Actor{gov, teacher} {
			if _, _, err := c.RecordCheck(ctx, a, in); !errors.Is(err, ErrForbidden) {
				t.Errorf("%s records a check: %v", a.Username, err)
			}
			if _, err := c.ResolveFinding(ctx, a, fs[0].ID, "fixed"); !errors.Is(err, ErrForbidden) {
				t.Errorf("%s resolves a finding: %v", a.Username, err)
			}
		}
		if list, err := c.ListChecks(ctx, gov, time.Time{}, time.Time{}, 0); err != nil || len(list) != 1 {
			t.Errorf("governor reads: %d %v", len(list), err)
		}
		if _, _, err := c.GetCheck(ctx, gov, k.ID); err != nil {
			t.Errorf("governor opens a check: %v", err)
		}
		if _, err := c.ListChecks(ctx, teacher, time.Time{}, time.Time{}, 0); !errors.Is(err, ErrForbidden) {
			t.Errorf("teacher reads: %v", err)
		}
		if _, err := c.ListFindings(ctx, teacher, true, 0); !errors.Is(err, ErrForbidden) {
			t.Errorf("teacher reads findings: %v", err)
		}
		other := tech
		other.Site = "other-school"
		if list, err := c.ListChecks(ctx, other, time.Time{}, time.Time{}, 0); err != nil || len(list) != 0 {
			t.Errorf("another site sees %d checks, %v", len(list), err)
		}
		if _, _, err := c.GetCheck(ctx, other, k.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another site opens the check: %v", err)
		}
		nosite := tech
		nosite.Site = ""
		if _, _, err := c.RecordCheck(ctx, nosite, in); !errors.Is(err, ErrInvalid) {
			t.Errorf("an actor without a site: %v", err)
		}
		if n, err := c.CountOpenFindings(ctx, tech); err != nil || n != 1 {
			t.Errorf("open findings %d %v", n, err)
		}
		if _, err := c.ResolveFinding(ctx, tech, fs[0].ID, "provider fixed the list"); err != nil {
			t.Fatal(err)
		}
		if n, _ := c.CountOpenFindings(ctx, gov); n != 0 {
			t.Errorf("open after resolving %d", n)
		}
	})
}

// TestReviewParticipants: a review needs an slt and a dsl from the
// directory holding those roles; a governor may be named; the status is
// due with no review and at eleven months.
func TestReviewParticipants(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		now := f.now
		c := NewChecks(ChecksOptions{Store: f.st, Directory: f.svc.dir, Now: func() time.Time { return now }})
		tech := f.actor(t, "tech")
		st, err := c.ReviewStatus(ctx, tech, time.UTC)
		if err != nil || !st.Due || st.Last != nil {
			t.Fatalf("no review: %+v %v", st, err)
		}
		held := now.AddDate(0, -10, 0).Format(time.DateOnly)
		good := []store.Participant{{Role: "slt", Username: "head"}, {Role: "dsl", Username: "ms.dsl"}, {Role: "technical", Username: "tech"}, {Role: "governor", Name: "Mr Chair"}}
		for name, parts := range map[string][]store.Participant{
			"no dsl":            good[:1],
			"dsl by name only":  {{Role: "slt", Username: "head"}, {Role: "dsl", Name: "Ms DSL"}},
			"wrong role":        {{Role: "slt", Username: "mr.teach"}, {Role: "dsl", Username: "ms.dsl"}},
			"disabled":          {{Role: "slt", Username: "head"}, {Role: "dsl", Username: "gone"}},
			"unknown role":      {{Role: "slt", Username: "head"}, {Role: "dsl", Username: "ms.dsl"}, {Role: "pupil", Username: "amy"}},
			"no such person":    {{Role: "slt", Username: "nobody"}, {Role: "dsl", Username: "ms.dsl"}},
			"technical by name": {{Role: "slt", Username: "head"}, {Role: "technical", Name: "x"}},
		} {
			if _, err := c.RecordReview(ctx, tech, ReviewInput{HeldOn: held, Participants: parts, Reviewed: "r", Decisions: "d"}); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := c.RecordReview(ctx, f.actor(t, "mr.teach"), ReviewInput{HeldOn: held, Participants: good, Reviewed: "r", Decisions: "d"}); !errors.Is(err, ErrForbidden) {
			t.Errorf("teacher records a review: %v", err)
		}
		r, err := c.RecordReview(ctx, tech, ReviewInput{HeldOn: held, Participants: good, Reviewed: "lists, groups, alerts", Decisions: "add a games exception"})
		if err != nil || r.Participants[0].Username != "head" {
			t.Fatalf("review %+v %v", r, err)
		}
		if st, err = c.ReviewStatus(ctx, tech, time.UTC); err != nil || st.Due || st.Last == nil || st.Last.ID != r.ID {
			t.Fatalf("ten months on: %+v %v", st, err)
		}
		now = now.AddDate(0, 1, 1)
		if st, err = c.ReviewStatus(ctx, tech, time.UTC); err != nil || !st.Due {
			t.Fatalf("eleven months on: %+v %v", st, err)
		}
	})
}
