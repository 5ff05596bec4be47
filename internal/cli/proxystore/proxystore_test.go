package proxystore

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"schoolgate/internal/proxy/pages"
	"schoolgate/internal/store"
	"schoolgate/internal/store/storetest"
)

// stores runs f on SQLite, and on PostgreSQL in a schema of its own when
// SCHOOLGATE_TEST_POSTGRES is set.
func stores(t *testing.T, f func(t *testing.T, st *store.Store)) {
	run := func(t *testing.T, opt store.Options) {
		st, err := store.Open(context.Background(), opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		f(t, st)
	}
	t.Run("sqlite", func(t *testing.T) {
		run(t, store.Options{SQLitePath: filepath.Join(t.TempDir(), "sg.db")})
	})
	t.Run("postgres", func(t *testing.T) {
		run(t, store.Options{PostgresDSN: storetest.PostgresDSN(t)})
	})
}

// TestBackends: what the block page's forms send is stored as the console
// reads it: a request with its page's reference, a concern with the host
// of its address (none for an address that is not one), a Continue as an
// active override, and an agreement found again by user and version.
func TestBackends(t *testing.T) {
	stores(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		reqs, concerns, continues, agreements := Backends(st, store.DefaultSite)
		client := netip.MustParseAddr("10.1.2.3")
		id, err := reqs.CreateRequest(ctx, pages.Request{User: "ann", Client: client, Groups: []string{"pupils"}, URL: "http://bet.test/spin", Host: "bet.test", Categories: []string{"gambling"}, Reason: "for my project", Ref: "SG-0000abcd"})
		if err != nil || id == 0 {
			t.Fatalf("request: %d %v", id, err)
		}
		got, err := st.ListRequests(ctx, store.AllSites, "", 0)
		if err != nil || len(got) != 1 {
			t.Fatalf("requests: %+v %v", got, err)
		}
		if r := got[0]; r.ID != id || r.User != "ann" || r.Client != "10.1.2.3" || r.Host != "bet.test" || r.Reason != "for my project [block page SG-0000abcd]" {
			t.Errorf("stored request: %+v", r)
		}
		for _, c := range []pages.Concern{
			{User: "ann", Client: client, URL: "https://Shop.Example.TEST/x?y=1", Kind: "got-through", Details: "a shop", Ref: "SG-1"},
			{User: "bob", Client: client, URL: "not a url at all", Kind: "other", Details: "odd"},
		} {
			if id, err := concerns.CreateConcern(ctx, c); err != nil || id == 0 {
				t.Fatalf("concern %+v: %d %v", c, id, err)
			}
		}
		cs, err := st.ListConcerns(ctx, store.Actor{Name: "test"}, "")
		if err != nil || len(cs) != 2 {
			t.Fatalf("concerns: %+v %v", cs, err)
		}
		byUser := map[string]store.Concern{}
		for _, c := range cs {
			byUser[c.User] = c
		}
		if c := byUser["ann"]; c.Host != "shop.example.test" || c.Text != "[got-through] a shop [block page SG-1]" {
			t.Errorf("ann's concern: %+v", c)
		}
		if c := byUser["bob"]; c.Host != "" || c.URL != "not a url at all" || c.Text != "[other] odd" {
			t.Errorf("bob's concern: %+v", c)
		}
		now := time.Now()
		if err := continues.RecordContinue(ctx, "ann", client, "game.test", "http://game.test/", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ovs, err := st.ActiveOverrides(ctx, store.AllSites, now); err != nil || len(ovs) != 1 {
			t.Errorf("overrides after a Continue: %+v %v", ovs, err)
		}
		if ok, err := agreements.HasAccepted(ctx, "ann", "pupils", "v2"); err != nil || ok {
			t.Fatalf("accepted before agreeing: %v %v", ok, err)
		}
		if err := agreements.AcceptAUA(ctx, pages.Acceptance{User: "ann", Group: "pupils", Version: "v2", Client: client, At: now}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			version string
			want    bool
		}{{"v2", true}, {"v3", false}} {
			if ok, err := agreements.HasAccepted(ctx, "ann", "pupils", tc.version); err != nil || ok != tc.want {
				t.Errorf("accepted %s: %v %v, want %v", tc.version, ok, err, tc.want)
			}
		}
	})
}
