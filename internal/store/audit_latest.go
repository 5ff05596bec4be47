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
	out, err := s.ListAudit(ctx, AuditFilter{Newest: true, Limit: limit})
	if err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}
