package console

import (
	"net/http"
	"time"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// nodesView lists the serve nodes of the visitor's site (trust staff:
// every school's), stale ones first flagged.
type nodesView struct {
	Nodes      []nodeRow
	Stale      int
	StaleAfter time.Duration
}

type nodeRow struct {
	store.NodeHealth
	Ago    time.Duration
	Policy string
}

func (nodesView) title() string { return "Nodes" }

func (c *Console) nodesShow(w http.ResponseWriter, r *http.Request, v *visit) {
	now := c.now()
	list, err := safeguarding.ListNodes(r.Context(), v.actor, c.st, now)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	view := nodesView{StaleAfter: store.NodeStaleAfter}
	loc := c.location()
	for _, n := range list {
		n.Started, n.LastSeen = n.Started.In(loc), n.LastSeen.In(loc)
		row := nodeRow{NodeHealth: n, Ago: now.Sub(n.LastSeen).Truncate(time.Second), Policy: n.PolicyVersion}
		if row.Policy == "" && len(n.PolicyHash) >= 12 {
			row.Policy = n.PolicyHash[:12]
		}
		if n.Stale {
			view.Stale++
		}
		view.Nodes = append(view.Nodes, row)
	}
	c.render(w, r, http.StatusOK, "nodes", v, view)
}
