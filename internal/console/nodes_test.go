package console

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/store"
)

// TestNodesPage: the technical lead sees their school's nodes, the stale
// one flagged, and never another school's, on the page and over the API;
// a teacher is refused.
func TestNodesPage(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		ctx := context.Background()
		now := f.clk.Now()
		for _, n := range []store.NodeHealth{
			{Site: config.DefaultSiteID, Name: "gate-fresh", QPS: 42, Started: now, LastSeen: now.Add(-5 * time.Second)},
			{Site: config.DefaultSiteID, Name: "gate-gone", Started: now, LastSeen: now.Add(-2 * time.Minute), LastError: "database unavailable"},
			{Site: "other-school", Name: "gate-elsewhere", Started: now, LastSeen: now},
		} {
			if err := f.st.Heartbeat(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
		b := f.browser()
		b.signIn("r-technical", "")
		st, _, body := b.do("GET", "/nodes", nil)
		if st != http.StatusOK || !strings.Contains(body, "gate-fresh") || !strings.Contains(body, "gate-gone") ||
			!strings.Contains(body, "1 node is stale") || strings.Contains(body, "gate-elsewhere") {
			t.Errorf("/nodes as technical: %d\n%s", st, body)
		}
		code, out := f.api("GET", "/api/v1/nodes", f.token("r-slt"), "")
		var got struct{ Nodes []store.NodeHealth }
		if code != http.StatusOK || json.Unmarshal([]byte(out), &got) != nil || len(got.Nodes) != 2 ||
			got.Nodes[0].Name != "gate-fresh" || got.Nodes[0].Stale || !got.Nodes[1].Stale {
			t.Errorf("/api/v1/nodes as slt: %d %s", code, out)
		}
		if code, _ := f.api("GET", "/api/v1/nodes", f.token("r-teacher"), ""); code != http.StatusForbidden {
			t.Errorf("/api/v1/nodes as teacher: %d, want 403", code)
		}
	})
}
