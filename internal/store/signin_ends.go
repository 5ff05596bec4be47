package store

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// SignInEnd is a device's proxy sign-in that staff ended: that person's
// credentials from that address are refused until Until, on every node of
// the school (identity.Sessions keeps the mark in memory; this is how the
// other nodes learn it).
type SignInEnd struct {
	Addr  netip.Addr
	User  string
	Until time.Time
}

// EndSignIns records sign-ins ended on this node, with the audit record
// (action, object, after) in the same transaction, and signals the other
// nodes (ChangeSessions).
func (s *Store) EndSignIns(ctx context.Context, by Actor, site string, ends []SignInEnd, action, object string, after any) error {
	if site == "" {
		return fmt.Errorf("store: %w: an ended sign-in needs a site", ErrInvalid)
	}
	return s.write(ctx, by, func(t *tx) error {
		now := micro(s.now())
		for _, e := range ends {
			if _, err := t.ExecContext(ctx, `INSERT INTO signin_ends (site, addr, username, ended_at, until) VALUES ($1, $2, $3, $4, $5)`,
				site, e.Addr.Unmap().String(), e.User, now, micro(e.Until)); err != nil {
				return fmt.Errorf("store: ended sign-in: %w", err)
			}
		}
		if len(ends) > 0 {
			t.touch(ChangeSessions)
		}
		t.audit(action, object, nil, after)
		return nil
	})
}

// SignInEnds returns the ended sign-ins of site that still hold.
func (s *Store) SignInEnds(ctx context.Context, site string) ([]SignInEnd, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT addr, username, until FROM signin_ends WHERE site = $1 AND until > $2 ORDER BY id`,
		site, micro(s.now()))
	if err != nil {
		return nil, fmt.Errorf("store: ended sign-ins: %w", err)
	}
	defer rows.Close()
	var out []SignInEnd
	for rows.Next() {
		var addr string
		var until int64
		var e SignInEnd
		if err := rows.Scan(&addr, &e.User, &until); err != nil {
			return nil, fmt.Errorf("store: ended sign-ins: %w", err)
		}
		if e.Addr, err = netip.ParseAddr(addr); err != nil {
			return nil, fmt.Errorf("store: ended sign-in address %q: %w", addr, err)
		}
		e.Until = fromMicro(until)
		out = append(out, e)
	}
	return out, rows.Err()
}

// PurgeSignInEnds deletes the ended sign-ins that no longer hold.
func (s *Store) PurgeSignInEnds(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM signin_ends WHERE until <= $1`, micro(s.now())); err != nil {
		return fmt.Errorf("store: ended sign-ins: %w", err)
	}
	return nil
}
