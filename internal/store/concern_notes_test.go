package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestConcernNotes: notes are appended in order and audited without
// their text; an empty note, or one on a missing concern, is refused; a
// concern moves to in progress (still counted open) and closed (not).
func TestConcernNotes(t *testing.T) {
	backends(t, func(t *testing.T, open func(now func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		c, err := s.CreateConcern(ctx, Concern{User: "ada", Client: "10.20.0.7", Text: "upset"})
		if err != nil {
			t.Fatal(err)
		}
		by := Actor{Name: "dsl1", Roles: "dsl"}
		for _, text := range []string{"first", "second"} {
			clk.Add(time.Minute)
			if _, err := s.AddConcernNote(ctx, by, c.ID, text); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.AddConcernNote(ctx, by, c.ID, "  "); !errors.Is(err, ErrInvalid) {
			t.Errorf("empty note: %v", err)
		}
		if _, err := s.AddConcernNote(ctx, by, c.ID+99, "x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing concern: %v", err)
		}
		notes, err := s.ConcernNotes(ctx, c.ID)
		if err != nil || len(notes) != 2 || notes[0].Text != "first" || notes[1].By != "dsl1" || !notes[1].At.After(notes[0].At) {
			t.Fatalf("notes %+v, %v", notes, err)
		}
		recs, err := s.ListAudit(ctx, AuditFilter{Action: "concern.note"})
		if err != nil || len(recs) != 2 || recs[0].Actor != "dsl1" {
			t.Fatalf("audit %+v, %v", recs, err)
		}
		for _, r := range recs {
			if strings.Contains(r.After, "first") || strings.Contains(r.After, "second") {
				t.Errorf("a note's text in the audit trail: %s", r.After)
			}
		}
		if err := s.SetConcernProgress(ctx, by, c.ID, ConcernInProgress); err != nil {
			t.Fatal(err)
		}
		if n, err := s.CountOpenConcerns(ctx, AllSites); err != nil || n != 1 {
			t.Errorf("open while in progress: %d, %v", n, err)
		}
		if err := s.SetConcernProgress(ctx, by, c.ID, "gone"); !errors.Is(err, ErrInvalid) {
			t.Errorf("a bad status: %v", err)
		}
		if err := s.SetConcernProgress(ctx, by, c.ID, ConcernClosed); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.CountOpenConcerns(ctx, AllSites); n != 0 {
			t.Errorf("open after closing: %d", n)
		}
	})
}
