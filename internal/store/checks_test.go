package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestChecksReviewsFindings: a check by hand and a measured one with its
// findings, a correction that supersedes without editing, the period
// query the governors' report reads, every write audited; nothing of
// another site is seen.
func TestChecksReviewsFindings(t *testing.T) {
	backends(t, func(t *testing.T, open func(now func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		tech := Actor{Name: "tech1", Roles: "technical"}
		done := clk.Now().Add(-time.Hour)
		hand, fs, err := s.AddCheck(ctx, tech, Check{Site: "school", At: done, Target: "ICT suite PC 4", Tested: "gambling sites as a Year 7 pupil", Result: CheckPass}, nil)
		if err != nil || hand.ID == 0 || len(fs) != 0 || hand.By != "tech1" || hand.Measured {
			t.Fatalf("hand check %+v %v %v", hand, fs, err)
		}
		if _, _, err := s.AddCheck(ctx, tech, Check{Site: "school", At: done, Target: "x", Tested: "y", Result: "ok"}, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad result: %v", err)
		}
		if _, _, err := s.AddCheck(ctx, tech, Check{Site: "school", At: done, Target: "", Tested: "y", Result: CheckPass}, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("no target: %v", err)
		}
		clk.Add(time.Hour)
		m, fs, err := s.AddCheck(ctx, Actor{Name: "selftest"}, Check{Site: "school", At: clk.Now(), Target: "127.0.0.1", Tested: "self-test", Result: CheckFail, Measured: true},
			[]string{"pupils: gambling through DNS: want blocked, got allowed", "pupils: gambling through the proxy: want blocked, got allowed"})
		if err != nil || len(fs) != 2 || fs[0].CheckID != m.ID || !fs[0].Open() {
			t.Fatalf("measured %+v %+v %v", m, fs, err)
		}
		if _, _, err := s.AddCheck(ctx, tech, Check{Site: "other", At: done, Target: "t", Tested: "t", Result: CheckPass}, nil); err != nil {
			t.Fatal(err)
		}
		// A correction is a new check; the first stays, marked corrected.
		if _, _, err := s.AddCheck(ctx, tech, Check{Site: "school", At: done, Target: "ICT suite PC 4", Tested: "gambling", Result: CheckPartial, Corrects: hand.ID}, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("a correction without a reason: %v", err)
		}
		if _, _, err := s.AddCheck(ctx, tech, Check{Site: "other", At: done, Target: "t", Tested: "t", Result: CheckPass, Corrects: hand.ID, Reason: "r"}, nil); !errors.Is(err, ErrNotFound) {
			t.Errorf("a correction across sites: %v", err)
		}
		fix, _, err := s.AddCheck(ctx, tech, Check{Site: "school", At: done, Target: "ICT suite PC 4", Tested: "gambling", Result: CheckPartial, Corrects: hand.ID, Reason: "one site loaded"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GetCheck(ctx, "school", hand.ID)
		if err != nil || got.CorrectedBy != fix.ID || got.Result != CheckPass {
			t.Fatalf("corrected check %+v %v", got, err)
		}
		if _, err := s.GetCheck(ctx, "other", hand.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("another site's check: %v", err)
		}
		all, err := s.ListChecks(ctx, CheckFilter{Site: "school"})
		if err != nil || len(all) != 3 {
			t.Fatalf("all %d %v", len(all), err)
		}
		period, err := s.ListChecks(ctx, CheckFilter{Site: "school", From: done, To: done.Add(time.Minute), Current: true})
		if err != nil || len(period) != 1 || period[0].ID != fix.ID || period[0].Result != CheckPartial {
			t.Fatalf("period %+v %v", period, err)
		}

		// The governors' report's counts: the corrected check left out.
		counts, err := s.CountChecks(ctx, "school", done.Add(-time.Hour), clk.Now().Add(time.Hour))
		if err != nil || counts != (CheckCounts{Pass: 0, Fail: 1, Partial: 1, Measured: 1}) {
			t.Fatalf("counts %+v %v", counts, err)
		}

		if n, err := s.CountOpenFindings(ctx, "school"); err != nil || n != 2 {
			t.Fatalf("open findings %d %v", n, err)
		}
		if n, _ := s.CountOpenFindings(ctx, "other"); n != 0 {
			t.Errorf("other site's findings %d", n)
		}
		if _, err := s.ResolveFinding(ctx, tech, "other", fs[0].ID, "x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("resolve across sites: %v", err)
		}
		if _, err := s.ResolveFinding(ctx, tech, "school", fs[0].ID, " "); !errors.Is(err, ErrInvalid) {
			t.Errorf("resolve without saying how: %v", err)
		}
		r, err := s.ResolveFinding(ctx, tech, "school", fs[0].ID, "list re-downloaded")
		if err != nil || r.Open() || r.ResolvedBy != "tech1" || r.Resolution != "list re-downloaded" {
			t.Fatalf("resolved %+v %v", r, err)
		}
		if _, err := s.ResolveFinding(ctx, tech, "school", fs[0].ID, "again"); !errors.Is(err, ErrResolved) {
			t.Errorf("resolved twice: %v", err)
		}
		openF, err := s.ListFindings(ctx, FindingFilter{Site: "school", OpenOnly: true})
		if err != nil || len(openF) != 1 || openF[0].ID != fs[1].ID {
			t.Fatalf("open %+v %v", openF, err)
		}

		if _, err := s.LastReview(ctx, "school"); !errors.Is(err, ErrNotFound) {
			t.Errorf("no review yet: %v", err)
		}
		parts := []Participant{{Role: "slt", Username: "head"}, {Role: "dsl", Username: "dsl1"}, {Role: "governor", Name: "Mrs Governor"}}
		if _, err := s.AddReview(ctx, tech, Review{Site: "school", HeldOn: "2026-13-01", Participants: parts, Reviewed: "r", Decisions: "d"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad date: %v", err)
		}
		rv, err := s.AddReview(ctx, tech, Review{Site: "school", HeldOn: "2025-09-10", Participants: parts, Reviewed: "the lists", Decisions: "keep"})
		if err != nil {
			t.Fatal(err)
		}
		rv2, err := s.AddReview(ctx, tech, Review{Site: "school", HeldOn: "2025-09-11", Participants: parts, Reviewed: "the lists", Decisions: "keep", Corrects: rv.ID, Reason: "wrong date"})
		if err != nil {
			t.Fatal(err)
		}
		last, err := s.LastReview(ctx, "school")
		if err != nil || last.ID != rv2.ID || len(last.Participants) != 3 || last.Participants[2].Name != "Mrs Governor" {
			t.Fatalf("last %+v %v", last, err)
		}
		list, err := s.ListReviews(ctx, "school", 0)
		if err != nil || len(list) != 2 || list[1].CorrectedBy != rv2.ID {
			t.Fatalf("reviews %+v %v", list, err)
		}
		if _, err := s.LastReview(ctx, "other"); !errors.Is(err, ErrNotFound) {
			t.Errorf("other site's review: %v", err)
		}

		for action, n := range map[string]int{"check.record": 4, "finding.raise": 2, "finding.resolve": 1, "review.record": 2} {
			recs, err := s.ListAudit(ctx, AuditFilter{Action: action})
			if err != nil || len(recs) != n {
				t.Errorf("audit %s: %d records, %v", action, len(recs), err)
			}
			for _, r := range recs {
				if strings.Contains(r.After, "gambling") || strings.Contains(r.After, "re-downloaded") {
					t.Errorf("free text in the audit trail: %s", r.After)
				}
			}
		}
		if v, err := s.VerifyAudit(ctx, ""); err != nil || !v.OK() {
			t.Errorf("audit chain: %+v %v", v, err)
		}
	})
}
