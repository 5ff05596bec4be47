package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"schoolgate/internal/policy"
)

// Override kinds: one table serves every time-limited change.
const (
	KindGrant      = "grant"      // staff grant for a permission cell
	KindUnblock    = "unblock"    // an approved filter-change request
	KindContinue   = "continue"   // a warn page clicked through
	KindSuspension = "suspension" // a sanction: access blocked
)

func validKind(k string) bool {
	switch k {
	case KindGrant, KindUnblock, KindContinue, KindSuspension:
		return true
	}
	return false
}

// overrideAudit is an override as the audit trail records it.
type overrideAudit struct {
	ID       int64  `json:"id"`
	Kind     string `json:"kind"`
	User     string `json:"user,omitempty"`
	Group    string `json:"group,omitempty"`
	Client   string `json:"client,omitempty"`
	Category string `json:"category,omitempty"`
	Target   string `json:"target,omitempty"`
	Verdict  string `json:"verdict"`
	Until    string `json:"until"`
	Reason   string `json:"reason,omitempty"`
}

func auditOverride(o *policy.Override) overrideAudit {
	return overrideAudit{o.ID, o.Kind, o.User, o.Group, clientText(o.Client), o.Category, o.Target, o.Verdict.String(),
		o.Until.UTC().Format(time.RFC3339Nano), o.Reason}
}

// clientText is a client address as stored, in overrides and activity
// events ("" for none).
func clientText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.Unmap().String()
}

// CreateOverride stores a live override and returns it with its ID and
// creation time. by is recorded as its author and in the audit trail.
func (s *Store) CreateOverride(ctx context.Context, by Actor, o policy.Override) (policy.Override, error) {
	err := s.write(ctx, by, func(t *tx) error {
		var err error
		o, err = t.insertOverride(ctx, o, 0)
		return err
	})
	return o, err
}

func (t *tx) insertOverride(ctx context.Context, o policy.Override, requestID int64) (policy.Override, error) {
	if o.Kind == "" {
		o.Kind = KindGrant
	}
	if !validKind(o.Kind) {
		return o, fmt.Errorf("store: %w: override kind %q (want grant, unblock, continue or suspension)", ErrInvalid, o.Kind)
	}
	if o.By == "" {
		o.By = t.actor.Name
	}
	if o.Site == "" {
		o.Site = DefaultSite
	}
	if _, err := siteFor(o.Site); err != nil {
		return o, err
	}
	now := t.s.now()
	o.Created = now.Truncate(time.Microsecond).UTC()
	o.Until = o.Until.Truncate(time.Microsecond).UTC()
	if err := o.Validate(); err != nil {
		return o, fmt.Errorf("store: %w: %w", ErrInvalid, err)
	}
	if !o.Until.After(now) {
		return o, fmt.Errorf("store: %w: override ends at %s, which is not in the future", ErrInvalid, o.Until.Format(time.RFC3339))
	}
	err := t.QueryRowContext(ctx, `INSERT INTO overrides (kind, username, grp, client, category, target, verdict, created, until, by_user, reason, request_id, site)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		o.Kind, o.User, o.Group, clientText(o.Client), o.Category, o.Target, o.Verdict.String(), micro(o.Created), micro(o.Until), o.By, o.Reason, requestID, o.Site).Scan(&o.ID)
	if err != nil {
		return o, fmt.Errorf("store: insert override: %w", err)
	}
	if o.Kind != KindContinue {
		t.audit("override.create", "override:"+strconv.FormatInt(o.ID, 10), nil, auditOverride(&o))
	}
	return o, t.touchOverrides(ctx)
}

// RecordContinue stores a warn click-through: user (or, for an
// unidentified device, its address client) may continue to target until
// until. It is the visitor's own action, so it goes to the activity log,
// not the audit trail.
func (s *Store) RecordContinue(ctx context.Context, site, user string, client netip.Addr, target string, until time.Time) (policy.Override, error) {
	o := policy.Override{Kind: KindContinue, User: user, Target: target, Verdict: policy.Allow, Until: until, Reason: "warning page: continue", Site: site}
	by := user
	if user == "" {
		o.Client = client
		by = "ip:" + clientText(client)
	}
	return s.CreateOverride(ctx, Actor{Name: by}, o)
}

// RevokeOverride ends an override now; one outside scope is ErrNotFound.
func (s *Store) RevokeOverride(ctx context.Context, by Actor, scope string, id int64, reason string) error {
	return s.write(ctx, by, func(t *tx) error {
		o, revoked, err := getOverride(ctx, t, scope, id)
		if err != nil {
			return err
		}
		if revoked {
			return fmt.Errorf("store: override %d: %w: already revoked", id, ErrInvalid)
		}
		if _, err := t.ExecContext(ctx, `UPDATE overrides SET revoked_at = $1, revoked_by = $2 WHERE id = $3`,
			micro(t.s.now()), by.Name, id); err != nil {
			return fmt.Errorf("store: revoke override: %w", err)
		}
		t.audit("override.revoke", "override:"+strconv.FormatInt(id, 10), auditOverride(&o), map[string]string{"reason": reason})
		return t.touchOverrides(ctx)
	})
}

const overrideCols = `id, kind, username, grp, client, category, target, verdict, created, until, by_user, reason, revoked_at, site`

type rowScanner interface{ Scan(...any) error }

func scanOverride(r rowScanner) (policy.Override, bool, error) {
	var o policy.Override
	var verdict, client string
	var created, until, revoked int64
	if err := r.Scan(&o.ID, &o.Kind, &o.User, &o.Group, &client, &o.Category, &o.Target, &verdict, &created, &until, &o.By, &o.Reason, &revoked, &o.Site); err != nil {
		return o, false, err
	}
	if client != "" {
		a, err := netip.ParseAddr(client)
		if err != nil {
			return o, false, fmt.Errorf("store: override %d: client %q: %w", o.ID, client, err)
		}
		o.Client = a
	}
	v, err := policy.ParseVerdict(verdict)
	if err != nil {
		return o, false, fmt.Errorf("store: override %d: %w", o.ID, err)
	}
	o.Verdict, o.Created, o.Until = v, fromMicro(created), fromMicro(until)
	return o, revoked != 0, nil
}

func getOverride(ctx context.Context, q queryer, scope string, id int64) (policy.Override, bool, error) {
	cond, args, err := siteScope(scope, "site", 2)
	if err != nil {
		return policy.Override{}, false, fmt.Errorf("store: override %d: %w", id, err)
	}
	o, revoked, err := scanOverride(q.QueryRowContext(ctx, `SELECT `+overrideCols+` FROM overrides WHERE id = $1 AND `+cond, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return o, false, fmt.Errorf("store: override %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return o, false, fmt.Errorf("store: override %d: %w", id, err)
	}
	return o, revoked, nil
}

// GetOverride returns one override in scope and whether it was revoked.
func (s *Store) GetOverride(ctx context.Context, scope string, id int64) (policy.Override, bool, error) {
	return getOverride(ctx, s.r, scope, id)
}

// ActiveOverrides are the overrides in force at now: not revoked, not yet
// expired. The engine checks each one's Until itself, so a set published
// now stays right until the next change.
//
// scope is a site (a node loads only its own school's: a grant in one
// school is never enforced in another) or AllSites.
func (s *Store) ActiveOverrides(ctx context.Context, scope string, now time.Time) ([]policy.Override, error) {
	cond, args, err := siteScope(scope, "site", 2)
	if err != nil {
		return nil, fmt.Errorf("store: overrides: %w", err)
	}
	return s.listOverrides(ctx, `WHERE revoked_at = 0 AND until > $1 AND `+cond+` ORDER BY id`, append([]any{micro(now)}, args...)...)
}

// ListOverrides returns overrides created since since (zero: all), newest
// first, at most limit (0: no limit), revoked ones included.
func (s *Store) ListOverrides(ctx context.Context, scope string, since time.Time, limit int) ([]policy.Override, error) {
	cond, args, err := siteScope(scope, "site", 2)
	if err != nil {
		return nil, fmt.Errorf("store: overrides: %w", err)
	}
	q := `WHERE created >= $1 AND ` + cond + ` ORDER BY id DESC`
	if limit > 0 {
		q += " LIMIT " + strconv.Itoa(limit)
	}
	return s.listOverrides(ctx, q, append([]any{micro(since)}, args...)...)
}

func (s *Store) listOverrides(ctx context.Context, where string, args ...any) ([]policy.Override, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+overrideCols+` FROM overrides `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: overrides: %w", err)
	}
	defer rows.Close()
	var out []policy.Override
	for rows.Next() {
		o, _, err := scanOverride(rows)
		if err != nil {
			return nil, fmt.Errorf("store: overrides: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
