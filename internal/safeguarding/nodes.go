package safeguarding

import (
	"context"
	"time"

	"schoolgate/internal/store"
)

// NodeLister is the store as the nodes list reads it.
type NodeLister interface {
	ListNodes(ctx context.Context, site string, now time.Time) ([]store.NodeHealth, error)
}

// ListNodes is the serve nodes of the actor's site with their last
// heartbeat, stale ones marked (trust staff, whose site is every site,
// see every school's).
func ListNodes(ctx context.Context, a Actor, st NodeLister, now time.Time) ([]store.NodeHealth, error) {
	if err := check(a, ReadNodes); err != nil {
		return nil, err
	}
	s, err := site(a)
	if err != nil {
		return nil, err
	}
	return st.ListNodes(ctx, s, now)
}
