package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
)

// TestRecordRetention: closed incidents go when their period ends (staff:
// from reporting; pupils: every pupil's birth plus the period), open ones
// never, and a pupil incident without a date of birth is kept and
// flagged. The purge is audited with counts only. The clock is injected.
func TestRecordRetention(t *testing.T) {
	backends(t, func(t *testing.T, open func(now func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		by := Actor{Name: "dsl1", Roles: "dsl"}
		csv := "username,role,year_group,date_of_birth\nold.pupil,pupil,13,2008-05-01\nyoung.pupil,pupil,7,2014-09-30\nno.dob,pupil,9,\nteach,teacher,,\n"
		f, err := identity.ParseUsersCSV(strings.NewReader(csv), nil)
		if err != nil || len(f.Errors) > 0 {
			t.Fatalf("csv: %v %v", err, f.Errors)
		}
		sum, err := s.ImportUsers(ctx, by, f, false)
		if err != nil || sum.BirthDates != 2 {
			t.Fatalf("import: %+v %v", sum, err)
		}
		if dob, _ := s.DateOfBirth(ctx, "young.pupil"); dob != "2014-09-30" {
			t.Fatalf("date of birth %q", dob)
		}
		mk := func(staff, closed bool, people ...IncidentPerson) int64 {
			in, err := s.CreateIncident(ctx, by, Incident{Site: "school", OccurredAt: clk.Now(), Category: "pornography", Summary: "secret summary", AboutStaff: staff, People: people})
			if err != nil {
				t.Fatal(err)
			}
			if closed {
				if _, err := s.AppendIncidentEntry(ctx, by, "school", in.ID, IncidentEntry{Kind: "status", Text: IncidentClosed, Data: "done"}); err != nil {
					t.Fatal(err)
				}
			}
			return in.ID
		}
		pupil := func(name string) IncidentPerson { return IncidentPerson{Username: name, Roles: "pupil"} }
		oldOnly := mk(false, true, pupil("old.pupil"))
		both := mk(false, true, pupil("old.pupil"), pupil("young.pupil"))
		openOld := mk(false, false, pupil("old.pupil"))
		noDOB := mk(false, true, pupil("no.dob"))
		staff := mk(true, true, pupil("old.pupil"), IncidentPerson{Username: "teach", Roles: "teacher"})
		if _, err := s.AddIncidentEvidence(ctx, by, "school", oldOnly, IncidentEvidence{Kind: "activity", Ref: "1", Copied: `{"host":"x"}`}); err != nil {
			t.Fatal(err)
		}
		var r config.Retention
		c, err := config.Parse("p.yaml", "/tmp/p.yaml", []byte("site: {name: x}\n"))
		if err != nil {
			t.Fatal(err)
		}
		r = c.Retention
		exists := func(id int64) bool {
			_, err := s.GetIncident(ctx, "school", id)
			return err == nil
		}
		// 2026: nothing is old enough; the missing date is flagged.
		rep, err := s.Purge(ctx, by, r, clk.Now(), false)
		if err != nil || rep.Incidents != 0 || rep.IncidentsFlagged != 1 {
			t.Fatalf("2026: %+v %v", rep, err)
		}
		// 2034 (old.pupil is 25 on 2033-05-01); staff incident 10y after
		// reporting in 2036.
		at := time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC)
		rep, err = s.Purge(ctx, by, r, at, true)
		if err != nil || rep.Incidents != 1 {
			t.Fatalf("2034 dry run: %+v %v", rep, err)
		}
		if !exists(oldOnly) {
			t.Fatal("a dry run deleted")
		}
		if rep, err = s.Purge(ctx, by, r, at, false); err != nil || rep.Incidents != 1 {
			t.Fatalf("2034: %+v %v", rep, err)
		}
		if exists(oldOnly) || !exists(both) || !exists(openOld) || !exists(noDOB) || !exists(staff) {
			t.Fatal("2034: wrong incidents purged")
		}
		if ev, _ := s.IncidentEvidenceOf(ctx, "school", oldOnly); len(ev) != 0 {
			t.Error("evidence outlived its incident")
		}
		at = time.Date(2037, 1, 1, 0, 0, 0, 0, time.UTC)
		if rep, err = s.Purge(ctx, by, r, at, false); err != nil || rep.Incidents != 1 || exists(staff) || !exists(both) {
			t.Fatalf("2037: %+v %v", rep, err)
		}
		at = time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC) // young.pupil is 25 in 2039
		if rep, err = s.Purge(ctx, by, r, at, false); err != nil || rep.Incidents != 1 || exists(both) || !exists(openOld) || !exists(noDOB) {
			t.Fatalf("2040: %+v %v", rep, err)
		}
		recs, err := s.ListAudit(ctx, AuditFilter{Action: "retention.purge"})
		if err != nil || len(recs) < 3 {
			t.Fatalf("purges audited: %d %v", len(recs), err)
		}
		for _, rec := range recs {
			if strings.Contains(rec.After, "secret") || strings.Contains(rec.After, "pupil") {
				t.Errorf("the purge's audit names content: %s", rec.After)
			}
		}
	})
}

// TestAlertRetention: a closed alert goes retention.alerts after it was
// closed, with its events and notes; an open one stays.
func TestAlertRetention(t *testing.T) {
	backends(t, func(t *testing.T, open func(now func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		raise := func(user string) int64 {
			now := clk.Now()
			id, _, err := s.RaiseAlert(ctx, AlertHit{Site: "school", Rule: "r", Title: "T", Severity: 3, Subject: user, User: user,
				First: now, Last: now, Count: 1, Fold: time.Minute, Events: []AlertEvent{{At: now, User: user, Host: "h.example", Verdict: "block"}}})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		closed, stillOpen := raise("ann"), raise("bob")
		sc := AlertScope{Site: "school", Pupils: true, Staff: true, Circumvention: true}
		by := Actor{Name: "dsl1", Roles: "dsl"}
		if _, err := s.AddAlertNote(ctx, by, sc, closed, "spoke to ann"); err != nil {
			t.Fatal(err)
		}
		if err := s.CloseAlert(ctx, by, sc, closed, "false-positive", ""); err != nil {
			t.Fatal(err)
		}
		c, err := config.Parse("p.yaml", "/tmp/p.yaml", []byte("site: {name: x}\n"))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := s.Purge(ctx, by, c.Retention, clk.Now().Add(300*24*time.Hour), false)
		if err != nil || rep.Alerts != 0 {
			t.Fatalf("within a year: %+v %v", rep, err)
		}
		rep, err = s.Purge(ctx, by, c.Retention, clk.Now().Add(400*24*time.Hour), false)
		if err != nil || rep.Alerts != 1 {
			t.Fatalf("after a year: %+v %v", rep, err)
		}
		if _, err := s.GetAlert(ctx, sc, closed); err == nil {
			t.Error("the closed alert outlived its retention")
		}
		if ev, _ := s.AlertEvents(ctx, closed); len(ev) != 0 {
			t.Error("its events outlived it")
		}
		if _, err := s.GetAlert(ctx, sc, stillOpen); err != nil {
			t.Errorf("the open alert went: %v", err)
		}
	})
}
