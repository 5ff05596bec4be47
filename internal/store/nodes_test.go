package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestNodes: a heartbeat replaces the node's row; a school sees its own
// nodes, trust staff ("*") every school's; a node not heard from within
// a minute is stale.
func TestNodes(t *testing.T) {
	backends(t, func(t *testing.T, open func(now func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		start := clk.Now()
		a := NodeHealth{Site: "school-a", Name: "dns1 127.0.0.1:53", PolicyHash: "abc", ListsAge: 3 * time.Hour, QPS: 12.5,
			QueueDepth: 4, SpoolBytes: 1 << 20, Started: start, LastSeen: start}
		if err := s.Heartbeat(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := s.Heartbeat(ctx, NodeHealth{Site: "school-b", Name: "dns1", Started: start, LastSeen: start}); err != nil {
			t.Fatal(err)
		}
		if err := s.Heartbeat(ctx, NodeHealth{Site: "*", Name: "x", LastSeen: start}); !errors.Is(err, ErrInvalid) {
			t.Errorf("a heartbeat for every site: %v", err)
		}
		clk.Add(30 * time.Second)
		a.LastSeen, a.QPS, a.LastError = clk.Now(), 20, "database unavailable"
		if err := s.Heartbeat(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, err := s.ListNodes(ctx, "school-a", clk.Now())
		if err != nil || len(got) != 1 {
			t.Fatalf("school-a's nodes: %+v %v", got, err)
		}
		n := got[0]
		if n.Name != a.Name || n.QPS != 20 || n.ListsAge != 3*time.Hour || n.SpoolBytes != 1<<20 || n.QueueDepth != 4 ||
			n.LastError != "database unavailable" || !n.Started.Equal(start) || !n.LastSeen.Equal(clk.Now()) || n.Stale {
			t.Errorf("school-a's node: %+v", n)
		}
		all, err := s.ListNodes(ctx, "*", clk.Now())
		if err != nil || len(all) != 2 || all[0].Site != "school-a" || all[1].Site != "school-b" {
			t.Fatalf("every site's nodes: %+v %v", all, err)
		}
		if all[1].Stale {
			t.Errorf("school-b's node stale 30 s after its heartbeat")
		}
		clk.Add(31 * time.Second)
		all, _ = s.ListNodes(ctx, "*", clk.Now())
		if all[0].Stale || !all[1].Stale {
			t.Errorf("after 61 s without a heartbeat only school-b's node is stale: %+v", all)
		}
	})
}
