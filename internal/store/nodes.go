package store

import (
	"context"
	"fmt"
	"time"
)

// NodeStaleAfter is how long after its last heartbeat a node is stale
// (heartbeats come every 10 seconds).
const NodeStaleAfter = 60 * time.Second

// NodeHealth is one node's last heartbeat: what the trust dashboard and
// the nodes page show per school.
type NodeHealth struct {
	Site string
	Name string // --node-name, else host name and listen address
	// PolicyVersion is the policy version loaded (policy versions in the
	// database; "" for a policy file), PolicyHash the SHA-256 of what
	// was loaded.
	PolicyVersion string
	PolicyHash    string
	// ListsAge is the age of the oldest list loaded.
	ListsAge time.Duration
	// QPS is DNS queries and proxy requests per second since the last
	// heartbeat.
	QPS float64
	// QueueDepth is the activity writer's queue; SpoolBytes the local
	// activity spool kept while the database was unreachable.
	QueueDepth int64
	SpoolBytes int64
	LastError  string
	Started    time.Time
	LastSeen   time.Time
	// Stale is a node not heard from within NodeStaleAfter (set by
	// ListNodes).
	Stale bool
}

// Heartbeat records a node's health, replacing its previous row.
func (s *Store) Heartbeat(ctx context.Context, n NodeHealth) error {
	if n.Site == "" || n.Name == "" || n.Site == AllSites {
		return fmt.Errorf("store: heartbeat: %w: a site and a node name", ErrInvalid)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO nodes (site, name, policy_version, policy_hash, lists_age, qps, queue_depth, spool_bytes, last_error, started, last_seen)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
		ON CONFLICT (site, name) DO UPDATE SET policy_version = excluded.policy_version, policy_hash = excluded.policy_hash,
			lists_age = excluded.lists_age, qps = excluded.qps, queue_depth = excluded.queue_depth, spool_bytes = excluded.spool_bytes,
			last_error = excluded.last_error, started = excluded.started, last_seen = excluded.last_seen`,
		n.Site, n.Name, n.PolicyVersion, n.PolicyHash, int64(n.ListsAge/time.Second), n.QPS, n.QueueDepth, n.SpoolBytes,
		n.LastError, micro(n.Started), micro(n.LastSeen))
	if err != nil {
		return fmt.Errorf("store: heartbeat: %w", err)
	}
	return nil
}

// ListNodes returns the nodes of site (the actor's scope: "*" is every
// site), by site and name, each marked stale or not at now.
func (s *Store) ListNodes(ctx context.Context, site string, now time.Time) ([]NodeHealth, error) {
	q := `SELECT site, name, policy_version, policy_hash, lists_age, qps, queue_depth, spool_bytes, last_error, started, last_seen FROM nodes`
	var args []any
	if site != AllSites {
		q += ` WHERE site = $1`
		args = append(args, site)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY site, name`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: nodes: %w", err)
	}
	defer rows.Close()
	var out []NodeHealth
	for rows.Next() {
		var n NodeHealth
		var age, started, seen int64
		if err := rows.Scan(&n.Site, &n.Name, &n.PolicyVersion, &n.PolicyHash, &age, &n.QPS, &n.QueueDepth, &n.SpoolBytes,
			&n.LastError, &started, &seen); err != nil {
			return nil, fmt.Errorf("store: nodes: %w", err)
		}
		n.ListsAge, n.Started, n.LastSeen = time.Duration(age)*time.Second, fromMicro(started), fromMicro(seen)
		n.Stale = now.Sub(n.LastSeen) > NodeStaleAfter
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: nodes: %w", err)
	}
	return out, nil
}
