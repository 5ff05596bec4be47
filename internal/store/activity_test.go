package store

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/activity"
	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

func TestActivityWriteSearchPurge(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		reg := prometheus.NewRegistry()
		w, err := activity.NewWriter(s, activity.WriterOptions{BatchSize: 700, Registerer: reg})
		if err != nil {
			t.Fatal(err)
		}
		base := clk.Now()
		const n = 3000
		for i := 0; i < n; i++ {
			e := activity.Event{Time: base.Add(time.Duration(i) * time.Second), Client: netip.MustParseAddr(fmt.Sprintf("10.20.0.%d", i%3+1)),
				Host: fmt.Sprintf("h%d.example", i%10), Verdict: "allow", Rule: "default", Point: activity.PointDNS, Groups: []string{"pupils-ks2"}}
			if i%3 == 0 {
				e.User, e.Point, e.URL = "amy", activity.PointProxy, "https://"+e.Host+"/x"
			}
			if i%10 == 7 {
				e.Categories, e.Verdict, e.Rule = []string{"games", "social-media"}, "block", "rules.games.others"
			}
			if i == 42 {
				e.Search = "minecraft cheats"
			}
			if i == 57 {
				e.Ref, e.Action = "SG-0badcafe", "blockpage"
			}
			w.Log(e)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got := w.Written(); got != n {
			t.Fatalf("written metric %v, want %d", got, n)
		}
		count := func(f ActivityFilter) int {
			t.Helper()
			k := 0
			if err := s.SearchActivity(ctx, Actor{Name: "dsl"}, f, func(activity.Event) error { k++; return nil }); err != nil {
				t.Fatal(err)
			}
			return k
		}
		if got := count(ActivityFilter{Limit: -1}); got != n {
			t.Fatalf("all: %d", got)
		}
		if got := count(ActivityFilter{User: "amy", Limit: -1}); got != n/3 {
			t.Fatalf("amy: %d", got)
		}
		if got := count(ActivityFilter{Category: "games", Limit: -1}); got != n/10 {
			t.Fatalf("games: %d", got)
		}
		var byRef []activity.Event
		if err := s.SearchActivity(ctx, Actor{Name: "dsl"}, ActivityFilter{Ref: "SG-0badcafe"}, func(e activity.Event) error { byRef = append(byRef, e); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(byRef) != 1 || byRef[0].Host != "h7.example" || byRef[0].Action != "blockpage" || byRef[0].Ref != "SG-0badcafe" {
			t.Fatalf("by reference number: %+v", byRef)
		}
		if got := count(ActivityFilter{Category: "game", Limit: -1}); got != 0 {
			t.Fatalf("category prefix matched: %d", got)
		}
		if got := count(ActivityFilter{Host: "example", Limit: -1}); got != n {
			t.Fatalf("host suffix: %d", got)
		}
		if got := count(ActivityFilter{Client: "10.20.0.2", Since: base.Add(time.Hour), Limit: -1}); got != (n-3600+2)/3 && got != 0 {
			t.Fatalf("client since: %d", got)
		}
		if got := count(ActivityFilter{Point: "proxy", Verdict: "block", Limit: 5}); got != 5 {
			t.Fatalf("limit: %d", got)
		}
		var first activity.Event
		s.SearchActivity(ctx, Actor{Name: "dsl"}, ActivityFilter{User: "amy", Until: base.Add(43 * time.Second), Limit: 1}, func(e activity.Event) error { first = e; return nil })
		if first.Search != "minecraft cheats" || first.URL != "https://h2.example/x" || first.Client.String() != "10.20.0.1" || !first.Time.Equal(base.Add(42*time.Second)) {
			t.Fatalf("round trip: %+v", first)
		}
		// Every search above (nine) is in the audit trail as dsl's, with
		// its filter; the last looked for amy.
		searches, err := s.ListAudit(ctx, AuditFilter{Action: "activity.search"})
		if err != nil || len(searches) != 9 {
			t.Fatalf("search audit: %d records, %v", len(searches), err)
		}
		for _, r := range searches {
			if r.Actor != "dsl" || r.Object != "activity" {
				t.Fatalf("search audit: %+v", r)
			}
		}
		if last := searches[len(searches)-1]; !strings.Contains(last.After, `"amy"`) {
			t.Errorf("search audit without its filter: %s", last.After)
		}
		hourly := hourlyCounts(t, s, time.Time{})
		var total, games int64
		for _, h := range hourly {
			if h.Category == "games" {
				games += h.Count
			}
			if h.Category != "social-media" {
				total += h.Count
			}
		}
		if total != n || games != n/10 {
			t.Fatalf("hourly: total %d games %d", total, games)
		}
		// Retention: 31 days on, the DNS events go, proxy events and the
		// aggregates stay for the activity period.
		clk.Add(31 * 24 * time.Hour)
		r := config.Retention{Activity: config.Duration(365 * 24 * time.Hour), DNSEvents: config.Duration(30 * 24 * time.Hour),
			Requests: config.Duration(365 * 24 * time.Hour), Overrides: config.Duration(time.Hour)}
		if _, err := s.CreateOverride(ctx, staff, policy.Override{User: "amy", Verdict: policy.Allow, Until: clk.Now().Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		dry, err := s.Purge(ctx, staff, r, clk.Now(), true)
		if err != nil || dry.DNSEvents != n*2/3 || dry.Activity != 0 || dry.Hourly != 0 || dry.Overrides != 0 {
			t.Fatalf("dry run: %+v %v", dry, err)
		}
		if got := count(ActivityFilter{Limit: -1}); got != n {
			t.Fatalf("dry run deleted: %d left", got)
		}
		rep, err := s.Purge(ctx, staff, r, clk.Now(), false)
		if err != nil || rep.DNSEvents != n*2/3 {
			t.Fatalf("purge: %+v %v", rep, err)
		}
		if got := count(ActivityFilter{Limit: -1}); got != n/3 {
			t.Fatalf("after purge: %d", got)
		}
		clk.Add(400 * 24 * time.Hour)
		rep, _ = s.Purge(ctx, staff, r, clk.Now(), false)
		if rep.Activity != n/3 || rep.Hourly == 0 || rep.Overrides != 1 {
			t.Fatalf("second purge: %+v", rep)
		}
		if res, _ := s.VerifyAudit(ctx, ""); !res.OK() {
			t.Fatalf("audit: %+v", res)
		}
	})
}

func TestOverrideFeed(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		clk := newClock()
		s := open(clk.Now)
		other := open(clk.Now) // another process or node on the same database
		eng := &fakeEngine{set: make(chan *policy.Overrides, 16)}
		f := &OverrideFeed{Store: s, Engine: eng, Site: DefaultSite}
		done := make(chan error, 1)
		go func() { done <- f.Run(ctx) }()
		wait := func(want int) {
			t.Helper()
			// Another process's change on SQLite is seen by the
			// poll: within a second and a read.
			deadline := time.After(changePoll + 500*time.Millisecond)
			for {
				select {
				case o := <-eng.set:
					if o.Len() == want {
						return
					}
				case <-deadline:
					t.Fatalf("feed did not publish %d overrides within %v", want, changePoll+500*time.Millisecond)
				}
			}
		}
		wait(0)
		if _, err := s.CreateOverride(ctx, staff, policy.Override{User: "amy", Verdict: policy.Allow, Until: clk.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		wait(1)
		if _, err := other.CreateOverride(ctx, staff, policy.Override{Group: "staff", Verdict: policy.Block, Until: clk.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		wait(2)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

type fakeEngine struct{ set chan *policy.Overrides }

func (e *fakeEngine) SetOverrides(o *policy.Overrides) { e.set <- o }
