package console

import (
	"context"
	"time"

	"schoolgate/internal/store"
)

// NodeHealth is what the trust dashboard reads about the nodes: each
// node's last report (the heartbeats the nodes write fill it). The
// console owns the interface; a nil one, or a school with no node in the
// list, shows "no report".
type NodeHealth interface {
	Nodes(ctx context.Context) ([]NodeStatus, error)
}

// NodeStatus is one node's last report.
type NodeStatus struct {
	Site     string    `json:"site"`
	Node     string    `json:"node"`
	LastSeen time.Time `json:"last_seen"`
	// Stale says the node has not reported for longer than it should.
	Stale bool `json:"stale"`
	// Error is the node's last error ("" for none).
	Error string `json:"error,omitempty"`
}

// storeNodes reads the nodes' heartbeats from the store (every school's:
// the trust dashboard is the trust staff's).
type storeNodes struct {
	st  *store.Store
	now func() time.Time
}

func (n storeNodes) Nodes(ctx context.Context) ([]NodeStatus, error) {
	list, err := n.st.ListNodes(ctx, store.AllSites, n.now())
	if err != nil {
		return nil, err
	}
	out := make([]NodeStatus, 0, len(list))
	for _, h := range list {
		out = append(out, NodeStatus{Site: h.Site, Node: h.Name, LastSeen: h.LastSeen, Stale: h.Stale, Error: h.LastError})
	}
	return out, nil
}
