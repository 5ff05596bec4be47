package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
)

// TestSites: two schools in one database. Every read is scoped by the
// site it is given, AllSites reads both, a record is never written for
// "*" or for no school, and the live overrides feed of one school never
// publishes the other's.
func TestSites(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		clk := newClock()
		s := open(clk.Now)
		for _, id := range []string{"school-a", "school-b"} {
			if err := s.EnsureSite(ctx, id, strings.ToUpper(id)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.EnsureSite(ctx, "*", ""); !errors.Is(err, ErrInvalid) {
			t.Fatalf(`site "*": %v`, err)
		}
		sites, err := s.ListSites(ctx)
		if err != nil || len(sites) != 2 || sites[0].ID != "school-a" || sites[1].Name != "SCHOOL-B" {
			t.Fatalf("sites: %+v %v", sites, err)
		}

		// People: a school role at a school, a trust role on the trust.
		for _, u := range []identity.User{
			{Username: "amy", Roles: []identity.Role{identity.RolePupil}, Site: "school-a"},
			{Username: "bob", Roles: []identity.Role{identity.RolePupil}, Site: "school-b"},
			{Username: "tdsl", Roles: []identity.Role{identity.RoleTrustDSL}, Site: AllSites},
		} {
			if err := s.CreateUser(ctx, staff, u, ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CreateUser(ctx, staff, identity.User{Username: "x1", Roles: []identity.Role{identity.RoleTrustDSL}, Site: "school-a"}, ""); !errors.Is(err, ErrSiteRole) {
			t.Fatalf("trust role at a school: %v", err)
		}
		if err := s.CreateUser(ctx, staff, identity.User{Username: "x2", Roles: []identity.Role{identity.RoleDSL}, Site: AllSites}, ""); !errors.Is(err, ErrSiteRole) {
			t.Fatalf("school role on the trust: %v", err)
		}
		names := func(scope string) string {
			list, err := s.ListUsers(ctx, scope)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, u := range list {
				out = append(out, u.Username)
			}
			return strings.Join(out, " ")
		}
		if got := names("school-a"); got != "amy" {
			t.Fatalf("school-a's people: %q", got)
		}
		if got := names(AllSites); got != "amy bob tdsl" {
			t.Fatalf("everyone: %q", got)
		}
		if _, err := s.ListUsers(ctx, ""); !errors.Is(err, ErrNoSite) {
			t.Fatalf("no scope: %v", err)
		}
		if _, err := s.GetUserIn(ctx, "school-a", "bob"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("bob from school-a: %v", err)
		}
		// An import for school-b neither takes amy nor disables her.
		f, _ := identity.ParseUsersCSV(strings.NewReader("username,role\nbob,pupil\nbea,pupil\n"), nil)
		f.Site = "school-b"
		if sum, err := s.ImportUsers(ctx, staff, f, true); err != nil || sum.Added != 1 || sum.Disabled != 0 {
			t.Fatalf("school-b import: %+v %v", sum, err)
		}
		f, _ = identity.ParseUsersCSV(strings.NewReader("username,role\namy,pupil\n"), nil)
		f.Site = "school-b"
		if _, err := s.ImportUsers(ctx, staff, f, false); !errors.Is(err, ErrExists) {
			t.Fatalf("school-a's amy in school-b's file: %v", err)
		}

		// Overrides: the feed of school-b never sees school-a's grant.
		eng := &fakeEngine{set: make(chan *policy.Overrides, 16)}
		feed := &OverrideFeed{Store: s, Engine: eng, Site: "school-b"}
		done := make(chan error, 1)
		go func() { done <- feed.Run(ctx) }()
		next := func() int {
			t.Helper()
			select {
			case o := <-eng.set:
				return o.Len()
			case <-time.After(2 * time.Second):
				t.Fatal("the feed published nothing")
			}
			return -1
		}
		if n := next(); n != 0 {
			t.Fatalf("start: %d", n)
		}
		ga, err := s.CreateOverride(ctx, Actor{Name: "t", Site: "school-a"}, policy.Override{User: "amy", Verdict: policy.Allow, Until: clk.Now().Add(time.Hour), Site: "school-a"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateOverride(ctx, staff, policy.Override{User: "bob", Verdict: policy.Allow, Until: clk.Now().Add(time.Hour), Site: AllSites}); !errors.Is(err, ErrNoSite) {
			t.Fatalf(`an override for "*": %v`, err)
		}
		if _, err := s.CreateOverride(ctx, staff, policy.Override{User: "bob", Verdict: policy.Allow, Until: clk.Now().Add(time.Hour), Site: "school-b"}); err != nil {
			t.Fatal(err)
		}
		// Republished after each change: school-a's grant is never in it.
		for n := next(); n != 1; n = next() {
			if n > 1 {
				t.Fatalf("school-b's feed published %d overrides", n)
			}
		}
		if list, _ := s.ActiveOverrides(ctx, "school-b", clk.Now()); len(list) != 1 || list[0].User != "bob" {
			t.Fatalf("school-b's overrides: %+v", list)
		}
		if list, _ := s.ActiveOverrides(ctx, AllSites, clk.Now()); len(list) != 2 {
			t.Fatalf("every school's overrides: %+v", list)
		}
		if _, _, err := s.GetOverride(ctx, "school-b", ga.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("school-a's grant from school-b: %v", err)
		}
		if err := s.RevokeOverride(ctx, Actor{Name: "t", Site: "school-b"}, "school-b", ga.ID, "x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("school-a's grant revoked from school-b: %v", err)
		}

		// Requests, concerns, activity, audit.
		ra, err := s.CreateRequest(ctx, Request{User: "amy", Host: "a.example", Site: "school-a"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateRequest(ctx, Request{User: "bob", Host: "a.example", Site: "school-b"}); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.ListRequests(ctx, "school-b", "", 0); len(list) != 1 || list[0].User != "bob" {
			t.Fatalf("school-b's requests: %+v", list)
		}
		if _, err := s.GetRequest(ctx, "school-b", ra.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("school-a's request from school-b: %v", err)
		}
		if _, err := s.DenyRequest(ctx, Actor{Name: "d", Site: "school-b"}, ra.ID, "no"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("school-a's request denied from school-b: %v", err)
		}
		if _, _, err := s.ApproveRequest(ctx, Actor{Name: "d", Site: AllSites}, ra.ID, Approval{For: time.Hour, Reason: "ok"}); err != nil {
			t.Fatalf("approved by the trust: %v", err)
		}
		if list, _ := s.ActiveOverrides(ctx, "school-a", clk.Now()); len(list) != 2 {
			t.Fatalf("the trust's approval is school-a's override: %+v", list)
		}
		if _, err := s.CreateConcern(ctx, Concern{User: "amy", Text: "help", Site: "school-a"}); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.CountOpenConcerns(ctx, "school-b"); n != 0 {
			t.Fatalf("school-b's open concerns: %d", n)
		}
		if list, _ := s.ListConcerns(ctx, Actor{Name: "d", Site: "school-b"}, ""); len(list) != 0 {
			t.Fatalf("school-b's concerns: %+v", list)
		}
		if n, _ := s.CountOpenConcerns(ctx, AllSites); n != 1 {
			t.Fatalf("every school's open concerns: %d", n)
		}
		if err := s.InsertEvents(ctx, []activity.Event{
			{Time: clk.Now(), User: "amy", Host: "a.example", Verdict: "block", Point: activity.PointDNS, Site: "school-a"},
			{Time: clk.Now(), User: "bob", Host: "a.example", Verdict: "block", Point: activity.PointDNS, Site: "school-b"},
		}); err != nil {
			t.Fatal(err)
		}
		seen := func(scope string) string {
			var users []string
			if err := s.SearchActivity(ctx, Actor{Name: "d", Site: scope}, ActivityFilter{Host: "a.example", Limit: -1}, func(e activity.Event) error {
				users = append(users, e.User)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return strings.Join(users, " ")
		}
		if got := seen("school-b"); got != "bob" {
			t.Fatalf("school-b's activity: %q", got)
		}
		if got := seen(AllSites); len(got) != len("amy bob") {
			t.Fatalf("every school's activity: %q", got)
		}
		recs, err := s.ListAudit(ctx, AuditFilter{Site: "school-b"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if strings.Contains(r.After, "amy") {
				t.Fatalf("school-b's audit names school-a's pupil: %+v", r)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
