package store

import (
	"context"
	"fmt"
	"slices"
)

// LatestAudit returns the last limit records of the audit trail, oldest
// first.
func (s *Store) LatestAudit(ctx context.Context, limit int) ([]AuditRecord, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: %w: audit limit %d", ErrInvalid, limit)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+auditCols+` FROM audit ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		var r AuditRecord
		var at int64
		if err := rows.Scan(&r.ID, &at, &r.Actor, &r.Roles, &r.OSUser, &r.From, &r.Action, &r.Object, &r.Before, &r.After, &r.Prev, &r.Hash); err != nil {
			return nil, fmt.Errorf("store: audit: %w", err)
		}
		r.At = fromMicro(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}
