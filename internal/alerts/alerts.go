// Package alerts runs the monitoring rules (alerts.rules in the policy)
// over the activity stream and stores what they find as graded alerts.
//
// The engine is fed by the activity stream through its own bounded queue
// (a tee of serve's activity sink): Log never blocks DNS or the proxy; a
// full queue drops the event and counts it (schoolgate_alerts_dropped_total)
// and the engine then judges the stored events it missed, read after a
// cursor held in the database under a lease (store.ClaimAlertCursor), so
// nothing is missed and, with several nodes on one database, each event
// is judged once: by the node holding the lease.
package alerts

import (
	"context"
	"time"
)

// KeywordMatcher names the keyword lists a search term matches
// (internal/keywords implements it).
type KeywordMatcher interface {
	MatchLists(text string) []string
}

// Notifier is told of each new alert once, after it is stored
// (internal/alerts/notify implements it).
type Notifier interface {
	Raised(ctx context.Context, a Notice)
}

// Notice is what delivery may know: never a child's name, a search term or
// a site visited.
type Notice struct {
	// ID is the stored alert's; 0 for one raised while the database
	// could not take it (stored later: the console's alerts list).
	ID            int64
	Site          string
	Severity      int
	Rule, Title   string
	Group         string
	Circumvention bool
	At            time.Time
	EscalateAfter time.Duration
}
