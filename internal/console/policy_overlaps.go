package console

import (
	"sync"

	"schoolgate/internal/policy"
)

// overlapLimit is how many overlapping entries the policy page lists.
const overlapLimit = 20

// overlapSummary is the policy page's view of policy.OverlapReport.
type overlapSummary struct {
	Total int
	List  []policy.Overlap
	Err   string
}

// overlapCache keeps the overlap report of the last snapshot: walking a
// large table takes a while, and the snapshot does not change between
// reloads.
type overlapCache struct {
	mu   sync.Mutex
	snap *policy.Snapshot
	sum  overlapSummary
}

func (o *overlapCache) summary(snap *policy.Snapshot) overlapSummary {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.snap == snap {
		return o.sum
	}
	total, list, err := snap.OverlapReport(overlapLimit)
	o.sum = overlapSummary{Total: total, List: list}
	if err != nil {
		o.sum.Err = err.Error()
	}
	o.snap = snap
	return o.sum
}
