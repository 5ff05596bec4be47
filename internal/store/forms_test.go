package store

import (
	"bytes"
	"context"
	"testing"
	"time"

	"schoolgate/internal/config"
)

// TestSecretCreatedOnce: the first Secret call makes the key, later calls
// and a second Store on the same database (another node) read the same.
func TestSecretCreatedOnce(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		s := open(nil)
		k1, err := s.Secret(ctx, "form-token", 32)
		if err != nil || len(k1) != 32 || bytes.Equal(k1, make([]byte, 32)) {
			t.Fatalf("secret: %x %v", k1, err)
		}
		k2, err := open(nil).Secret(ctx, "form-token", 32)
		if err != nil || !bytes.Equal(k1, k2) {
			t.Fatalf("second node's secret %x differs from %x (%v)", k2, k1, err)
		}
		if k3, err := s.Secret(ctx, "other", 32); err != nil || bytes.Equal(k1, k3) {
			t.Fatalf("another secret: %x %v", k3, err)
		}
		if _, err := s.Secret(ctx, "short", 4); err == nil {
			t.Fatal("a 4-byte secret was made")
		}
	})
}

// TestRepeatsFolded: the same pending request, or the same concern within
// the hour, from the same person (or unidentified device) bumps the one
// stored rather than adding rows and audit records.
func TestRepeatsFolded(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		audits := func() int {
			t.Helper()
			es, err := s.ListAudit(ctx, AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return len(es)
		}
		req := Request{User: "amy", Client: "10.0.0.5", Host: "bet.test", URL: "http://bet.test/", Reason: "project"}
		first, err := s.CreateRequest(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		n := audits()
		clk.Add(time.Minute)
		again, err := s.CreateRequest(ctx, req)
		if err != nil || again.ID != first.ID || again.Repeats != 1 || !again.LastSeen.Equal(clk.Now()) || !again.Created.Equal(first.Created) {
			t.Fatalf("repeat: %+v %v (first %+v)", again, err, first)
		}
		if audits() != n {
			t.Error("a folded repeat was audited")
		}
		// Another person, another address, another page: new requests.
		for _, r := range []Request{
			{User: "ben", Client: "10.0.0.5", Host: "bet.test", URL: "http://bet.test/"},
			{User: "amy", Client: "10.0.0.5", Host: "bet.test", URL: "http://bet.test/other"},
			{Client: "10.0.0.6", Host: "bet.test", URL: "http://bet.test/"},
			{Client: "10.0.0.7", Host: "bet.test", URL: "http://bet.test/"},
		} {
			got, err := s.CreateRequest(ctx, r)
			if err != nil || got.ID == first.ID || got.Repeats != 0 {
				t.Fatalf("%+v: %+v %v", r, got, err)
			}
		}
		if dev, _ := s.CreateRequest(ctx, Request{Client: "10.0.0.6", Host: "bet.test", URL: "http://bet.test/"}); dev.Repeats != 1 {
			t.Errorf("an unidentified device's repeat: %+v", dev)
		}
		// Once decided, asking again is a new request.
		if _, err := s.DenyRequest(ctx, staff, first.ID, "no"); err != nil {
			t.Fatal(err)
		}
		if after, _ := s.CreateRequest(ctx, req); after.ID == first.ID {
			t.Error("a request folded into a decided one")
		}
		if all, _ := s.ListRequests(ctx, AllSites, "", 0); len(all) != 6 {
			t.Errorf("%d requests stored, want 6", len(all))
		}

		c := Concern{User: "amy", Client: "10.0.0.5", Host: "bet.test", Text: "[other] scary advert [block page SG-1]", Fold: "[other] scary advert"}
		c1, err := s.CreateConcern(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(30 * time.Minute)
		c.Text = "[other] scary advert [block page SG-2]"
		c2, err := s.CreateConcern(ctx, c)
		if err != nil || c2.ID != c1.ID || c2.Repeats != 1 || c2.Text != "[other] scary advert [block page SG-1]" {
			t.Fatalf("repeated concern: %+v %v", c2, err)
		}
		clk.Add(61 * time.Minute)
		if c3, _ := s.CreateConcern(ctx, c); c3.ID == c1.ID {
			t.Error("a concern an hour after the last folded into it")
		}
		if c4, _ := s.CreateConcern(ctx, Concern{User: "amy", Text: "something else"}); c4.ID == c1.ID || c4.Repeats != 0 {
			t.Errorf("another concern: %+v", c4)
		}
		if res, _ := s.VerifyAudit(ctx, ""); !res.OK() {
			t.Fatalf("audit: %+v", res)
		}
	})
}

// TestRetentionRequestsConcerns: requests pending beyond
// pending_requests expire, then go with the decided ones; closed concerns
// go after their period from closing; open concerns stay for good.
func TestRetentionRequestsConcerns(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		day := 24 * time.Hour
		r := config.Retention{Activity: config.Duration(365 * day), DNSEvents: config.Duration(30 * day), Requests: config.Duration(90 * day),
			Overrides: config.Duration(365 * day), PendingRequests: config.Duration(30 * day), Concerns: config.Duration(60 * day)}
		old, _ := s.CreateRequest(ctx, Request{User: "amy", Host: "a.test", URL: "http://a.test/"})
		open1, _ := s.CreateConcern(ctx, Concern{User: "amy", Text: "still worried"})
		closed, _ := s.CreateConcern(ctx, Concern{User: "ben", Text: "dealt with"})
		if err := s.SetConcernStatus(ctx, staff, closed.ID, ConcernClosed); err != nil {
			t.Fatal(err)
		}
		clk.Add(20 * day)
		// A repeat keeps a request alive: it is asked for again.
		kept, _ := s.CreateRequest(ctx, Request{User: "ben", Host: "b.test", URL: "http://b.test/"})
		clk.Add(15 * day)
		dry, err := s.Purge(ctx, staff, r, clk.Now(), true)
		if err != nil || dry.Expired != 1 || dry.Requests != 0 || dry.Concerns != 0 {
			t.Fatalf("dry run at 35 days: %+v %v", dry, err)
		}
		rep, err := s.Purge(ctx, staff, r, clk.Now(), false)
		if err != nil || rep.Expired != 1 || rep.Concerns != 0 {
			t.Fatalf("purge at 35 days: %+v %v", rep, err)
		}
		if got, _ := s.GetRequest(ctx, AllSites, old.ID); got.Status != StatusExpired || got.DecidedBy != "schoolgate" {
			t.Errorf("old pending request: %+v", got)
		}
		if got, _ := s.GetRequest(ctx, AllSites, kept.ID); got.Status != StatusPending {
			t.Errorf("recent request: %+v", got)
		}
		clk.Add(60 * day)
		rep, err = s.Purge(ctx, staff, r, clk.Now(), false)
		if err != nil || rep.Requests != 1 || rep.Expired != 1 || rep.Concerns != 1 {
			t.Fatalf("purge at 95 days: %+v %v", rep, err)
		}
		if _, err := s.GetRequest(ctx, AllSites, old.ID); err == nil {
			t.Error("the expired request outlived retention.requests")
		}
		left, err := s.ListConcerns(ctx, staff, "")
		if err != nil || len(left) != 1 || left[0].ID != open1.ID {
			t.Fatalf("concerns left: %+v %v", left, err)
		}
		clk.Add(3650 * day)
		if rep, _ := s.Purge(ctx, staff, r, clk.Now(), false); rep.Concerns != 0 {
			t.Errorf("an open concern was purged: %+v", rep)
		}
	})
}
