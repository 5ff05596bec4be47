package store

import (
	"context"
	"fmt"
)

// Kinds is a set of kinds of change: what a node must look at again.
type Kinds uint32

// The kinds of change every node follows. Each has a row in the changes
// table, bumped in the same transaction as the change it counts.
const (
	// ChangeOverrides: grants, exceptions, suspensions, sanctions'
	// removal of access (the live overrides feed republishes).
	ChangeOverrides Kinds = 1 << iota
	// ChangeUsers: people, groups, disabled, roles, passwords (the
	// directory forgets what it cached about the people changed).
	ChangeUsers
	// ChangeTokens: API tokens made or revoked.
	ChangeTokens
	// ChangeSessions: console sessions ended, device sign-ins ended.
	ChangeSessions
	// ChangePolicy: a new policy version.
	ChangePolicy

	// AllChanges is every kind: what a watcher reports when it may have
	// missed a signal (at the start, after a reconnect).
	AllChanges = ChangeOverrides | ChangeUsers | ChangeTokens | ChangeSessions | ChangePolicy
)

// kindNames are the changes table's keys and the NOTIFY payloads.
var kindNames = [...]struct {
	k    Kinds
	name string
}{
	{ChangeOverrides, "overrides"}, {ChangeUsers, "users"}, {ChangeTokens, "tokens"},
	{ChangeSessions, "sessions"}, {ChangePolicy, "policy"},
}

// notifyChannel is the PostgreSQL channel every node LISTENs on.
const notifyChannel = "schoolgate_changes"

// Has reports whether any of k is in the set.
func (s Kinds) Has(k Kinds) bool { return s&k != 0 }

// String names the kinds, comma-separated.
func (s Kinds) String() string {
	out := ""
	for _, n := range kindNames {
		if s.Has(n.k) {
			if out != "" {
				out += ","
			}
			out += n.name
		}
	}
	return out
}

// kindNamed returns the kind of a changes row or payload (0: unknown).
func kindNamed(name string) Kinds {
	for _, n := range kindNames {
		if n.name == name {
			return n.k
		}
	}
	return 0
}

// touch marks kinds as changed by this transaction; write bumps each once,
// just before commit (an import of 500 people is one change of users).
func (t *tx) touch(k Kinds) { t.changes |= k }

// bumpChanges bumps the counters of the kinds t touched and, on
// PostgreSQL, queues a NOTIFY per kind (sent by the server at commit, and
// only if the transaction commits).
func (t *tx) bumpChanges(ctx context.Context) error {
	for _, n := range kindNames {
		if !t.changes.Has(n.k) {
			continue
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO changes (kind, version) VALUES ($1, 1)
			ON CONFLICT (kind) DO UPDATE SET version = changes.version + 1`, n.name); err != nil {
			return fmt.Errorf("store: change counter %s: %w", n.name, err)
		}
		if t.s.dialect == Postgres {
			if _, err := t.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, n.name); err != nil {
				return fmt.Errorf("store: notify %s: %w", n.name, err)
			}
		}
	}
	return nil
}

// Touch records a change of kinds made outside the store's own methods
// (a policy version written elsewhere), with the same signal to every
// node. Changes made through the store touch their kinds themselves.
func (s *Store) Touch(ctx context.Context, by Actor, k Kinds) error {
	return s.write(ctx, by, func(t *tx) error { t.touch(k); return nil })
}

// changeVersions reads every counter.
func (s *Store) changeVersions(ctx context.Context) (map[Kinds]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, version FROM changes`)
	if err != nil {
		return nil, fmt.Errorf("store: change counters: %w", err)
	}
	defer rows.Close()
	out := map[Kinds]int64{}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return nil, fmt.Errorf("store: change counters: %w", err)
		}
		if k := kindNamed(name); k != 0 {
			out[k] = v
		}
	}
	return out, rows.Err()
}
