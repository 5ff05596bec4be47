package store

import (
	"context"
	"fmt"
	"slices"
)

// LatestAudit returns the last limit records of the audit trail in scope
// (a school's, or AllSites), oldest first.
func (s *Store) LatestAudit(ctx context.Context, scope string, limit int) ([]AuditRecord, error) {
	if scope == "" {
		return nil, fmt.Errorf("store: audit: %w", ErrNoSite)
	}
	if limit <= 0 {
		return nil, fmt.Errorf("store: %w: audit limit %d", ErrInvalid, limit)
	}
	out, err := s.ListAudit(ctx, AuditFilter{Newest: true, Limit: limit, Site: scope})
	if err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}
