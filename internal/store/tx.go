package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// tx is one write transaction. Changes queue their audit records on it;
// write appends them to the chain just before commit, in the same
// transaction, so a change and its record stand or fall together.
type tx struct {
	*sql.Tx
	s       *Store
	actor   Actor
	audits  []auditEntry
	changes Kinds // touched: bumped just before commit (changes.go)
}

// auditEntry is what a change says about itself; the chain fields are
// filled in when it is appended.
type auditEntry struct {
	action, object string
	before, after  any
}

// audit queues a record; before and after are JSON-encoded (nil is "").
func (t *tx) audit(action, object string, before, after any) {
	t.audits = append(t.audits, auditEntry{action, object, before, after})
}

// touchOverrides marks the live overrides changed, which every node's
// OverrideFeed follows.
func (t *tx) touchOverrides(context.Context) error {
	t.touch(ChangeOverrides)
	return nil
}

// write runs fn in a write transaction and appends its audit records.
func (s *Store) write(ctx context.Context, actor Actor, fn func(*tx) error) error {
	if actor.Name == "" {
		return fmt.Errorf("store: %w: every change needs an actor (--by)", ErrInvalid)
	}
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if actor.OSUser == "" {
		actor.OSUser = s.osUser
	}
	t := &tx{Tx: sqlTx, s: s, actor: actor}
	defer t.Rollback()
	if err := fn(t); err != nil {
		return err
	}
	if err := t.bumpChanges(ctx); err != nil {
		return err
	}
	if len(t.audits) > 0 {
		if err := s.appendAudit(ctx, t); err != nil {
			return err
		}
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if t.changes != 0 {
		s.changes.poke() // this node's watchers look at once
	}
	return nil
}

func jsonText(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// placeholders returns n rows of per parameters for a multi-row INSERT:
// ($1,$2),($3,$4)... on PostgreSQL, (?,?),(?,?)... on SQLite, where
// numbered parameters cost a name lookup each (quadratic in a statement
// with thousands of them).
func (s *Store) placeholders(n, per int) string {
	b := make([]byte, 0, n*per*5)
	k := 1
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '(')
		for j := 0; j < per; j++ {
			if j > 0 {
				b = append(b, ',')
			}
			if s.dialect == SQLite {
				b = append(b, '?')
			} else {
				b = fmt.Appendf(b, "$%d", k)
			}
			k++
		}
		b = append(b, ')')
	}
	return string(b)
}
