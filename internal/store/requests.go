package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/policy"
)

// Request statuses.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusDenied   = "denied"
	// StatusExpired is a request nobody decided within
	// retention.pending_requests.
	StatusExpired = "expired"
)

// Request is a filter-change request: a user asks for a blocked site, with
// a reason; staff approve (a time-limited override) or deny, with a reason
// of their own.
type Request struct {
	ID             int64         `json:"id"`
	Created        time.Time     `json:"created"`
	User           string        `json:"user,omitempty"`
	Client         string        `json:"client,omitempty"`
	Groups         []string      `json:"groups,omitempty"`
	Host           string        `json:"host"`
	URL            string        `json:"url,omitempty"`
	Categories     []string      `json:"categories,omitempty"`
	Reason         string        `json:"reason,omitempty"`
	Status         string        `json:"status"`
	DecidedBy      string        `json:"decided_by,omitempty"`
	DecidedAt      time.Time     `json:"decided_at,omitzero"`
	DecisionReason string        `json:"decision_reason,omitempty"`
	For            time.Duration `json:"for,omitempty"`
	OverrideID     int64         `json:"override_id,omitempty"`
	// Repeats counts the identical requests folded into this one (the
	// same person or device, the same address, while it is pending);
	// LastSeen is the latest of them.
	Repeats  int64     `json:"repeats,omitempty"`
	LastSeen time.Time `json:"last_seen,omitzero"`
	// Site is the school the request was made in (the node's).
	Site string `json:"site,omitempty"`
}

// CreateRequest stores a new pending request. The requester (the user, or
// the client address when unidentified) is the audit record's actor. A
// repeat of a pending request (the same user, or the same address when
// unidentified, and the same URL) is folded into it: its Repeats and
// LastSeen are bumped, nothing new is stored or audited, and the existing
// request is returned.
func (s *Store) CreateRequest(ctx context.Context, r Request) (Request, error) {
	if r.Host == "" {
		return r, fmt.Errorf("store: %w: request: host is required", ErrInvalid)
	}
	if r.Site == "" {
		r.Site = DefaultSite
	}
	if _, err := siteFor(r.Site); err != nil {
		return r, err
	}
	by := Actor{Name: r.User, From: r.Client, Site: r.Site}
	if by.Name == "" {
		by.Name = "client:" + r.Client
	}
	now := s.now().Truncate(time.Microsecond).UTC()
	err := s.write(ctx, by, func(t *tx) error {
		var id int64
		err := t.QueryRowContext(ctx, `SELECT id FROM requests WHERE status = 'pending' AND host = $1 AND url = $2
			AND username = $3 AND ($3 <> '' OR client = $4) AND site = $5 ORDER BY id LIMIT 1`, r.Host, r.URL, r.User, r.Client, r.Site).Scan(&id)
		switch {
		case err == nil:
			if _, err := t.ExecContext(ctx, `UPDATE requests SET repeats = repeats + 1, last_seen = $1 WHERE id = $2`, micro(now), id); err != nil {
				return fmt.Errorf("store: fold request %d: %w", id, err)
			}
			r, err = getRequest(ctx, t, r.Site, id)
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("store: find request: %w", err)
		}
		r.Created, r.LastSeen, r.Status = now, now, StatusPending
		err = t.QueryRowContext(ctx, `INSERT INTO requests (created, username, client, groups, host, url, categories, reason, status, last_seen, site)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $1, $10) RETURNING id`,
			micro(r.Created), r.User, r.Client, joinList(r.Groups), r.Host, r.URL, joinList(r.Categories), r.Reason, r.Status, r.Site).Scan(&r.ID)
		if err != nil {
			return fmt.Errorf("store: insert request: %w", err)
		}
		t.audit("request.create", "request:"+strconv.FormatInt(r.ID, 10), nil, r)
		return nil
	})
	return r, err
}

const requestCols = `id, created, username, client, groups, host, url, categories, reason, status, decided_by, decided_at, decision_reason, for_us, override_id, repeats, last_seen, site`

func scanRequest(sc rowScanner) (Request, error) {
	var r Request
	var created, decided, forUS, seen int64
	var groups, cats string
	err := sc.Scan(&r.ID, &created, &r.User, &r.Client, &groups, &r.Host, &r.URL, &cats, &r.Reason, &r.Status,
		&r.DecidedBy, &decided, &r.DecisionReason, &forUS, &r.OverrideID, &r.Repeats, &seen, &r.Site)
	r.Created, r.DecidedAt, r.For, r.LastSeen = fromMicro(created), fromMicro(decided), time.Duration(forUS)*time.Microsecond, fromMicro(seen)
	r.Groups, r.Categories = splitList(groups), splitList(cats)
	return r, err
}

func getRequest(ctx context.Context, q queryer, scope string, id int64) (Request, error) {
	cond, args, err := siteScope(scope, "site", 2)
	if err != nil {
		return Request{}, fmt.Errorf("store: request %d: %w", id, err)
	}
	r, err := scanRequest(q.QueryRowContext(ctx, `SELECT `+requestCols+` FROM requests WHERE id = $1 AND `+cond, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("store: request %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("store: request %d: %w", id, err)
	}
	return r, nil
}

// GetRequest returns one request in scope (a site, or AllSites).
func (s *Store) GetRequest(ctx context.Context, scope string, id int64) (Request, error) {
	return getRequest(ctx, s.r, scope, id)
}

// ListRequests returns the requests in scope with the given status (""
// for all), newest first, at most limit (0: no limit).
func (s *Store) ListRequests(ctx context.Context, scope, status string, limit int) ([]Request, error) {
	cond, args, err := siteScope(scope, "site", 2)
	if err != nil {
		return nil, fmt.Errorf("store: requests: %w", err)
	}
	q := `SELECT ` + requestCols + ` FROM requests WHERE ($1 = '' OR status = $1) AND ` + cond + ` ORDER BY id DESC`
	if limit > 0 {
		q += " LIMIT " + strconv.Itoa(limit)
	}
	rows, err := s.r.QueryContext(ctx, q, append([]any{status}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: requests: %w", err)
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("store: requests: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Approval is how staff approve a request.
type Approval struct {
	For    time.Duration // how long the unblock lasts (required)
	Reason string        // why (required)
	// Group, when set, unblocks for that whole group instead of the
	// requesting user. A request from an unidentified device (no user)
	// needs Group or Device.
	Group string
	// Device unblocks for the requesting device's address only (a client
	// override, as a warning click-through makes): it applies while
	// nobody is logged in on that device. Only for a request with no user.
	Device bool
	// Category, when set, unblocks that category (one of the request's)
	// instead of the requested host.
	Category string
	// Illegal must be set by the caller when the engine says any of the
	// request's categories (the row's, not the caller's) is illegal:
	// approval is then refused.
	Illegal bool
}

// ApproveRequest approves a pending request and, in the same transaction,
// creates the time-limited override it grants.
func (s *Store) ApproveRequest(ctx context.Context, by Actor, id int64, a Approval) (Request, policy.Override, error) {
	var r Request
	var o policy.Override
	if a.For <= 0 {
		return r, o, fmt.Errorf("store: %w: approve: a positive duration (--for) is required", ErrInvalid)
	}
	if strings.TrimSpace(a.Reason) == "" {
		return r, o, fmt.Errorf("store: %w: approve: a reason is required", ErrInvalid)
	}
	if a.Illegal {
		return r, o, fmt.Errorf("store: request %d: %w", id, ErrIllegal)
	}
	err := s.write(ctx, by, func(t *tx) error {
		var err error
		r, err = getRequest(ctx, t, by.scope(), id)
		if err != nil {
			return err
		}
		if r.Status != StatusPending {
			return fmt.Errorf("store: request %d: %w (%s)", id, ErrNotPending, r.Status)
		}
		before := r
		now := s.now().Truncate(time.Microsecond).UTC()
		o = policy.Override{Kind: KindUnblock, Verdict: policy.Allow, Until: now.Add(a.For), By: by.Name, Site: r.Site,
			Reason: fmt.Sprintf("request %d: %s", id, a.Reason)}
		switch {
		case a.Group != "" && a.Device:
			return fmt.Errorf("store: %w: approve request %d for a group or for the device, not both", ErrInvalid, id)
		case a.Group != "":
			o.Group = a.Group
		case a.Device:
			if r.User != "" {
				return fmt.Errorf("store: %w: request %d came from user %s: approve it for them or a group, not the device", ErrInvalid, id, r.User)
			}
			addr, err := netip.ParseAddr(r.Client)
			if err != nil {
				return fmt.Errorf("store: %w: request %d has no usable device address (%q)", ErrInvalid, id, r.Client)
			}
			o.Client = addr.Unmap()
		case r.User != "":
			o.User = r.User
		default:
			return fmt.Errorf("store: %w: request %d came from an unidentified device: approve it for the device or a group", ErrInvalid, id)
		}
		if a.Category != "" {
			found := false
			for _, c := range r.Categories {
				found = found || c == a.Category
			}
			if !found {
				return fmt.Errorf("store: %w: category %q is not one of request %d's (%s)", ErrInvalid, a.Category, id, joinList(r.Categories))
			}
			o.Category = a.Category
		} else {
			o.Target = r.Host
		}
		if o, err = t.insertOverride(ctx, o, id); err != nil {
			return err
		}
		r.Status, r.DecidedBy, r.DecidedAt, r.DecisionReason, r.For, r.OverrideID =
			StatusApproved, by.Name, now, a.Reason, a.For.Truncate(time.Microsecond), o.ID
		if _, err := t.ExecContext(ctx, `UPDATE requests SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4, for_us = $5, override_id = $6 WHERE id = $7`,
			r.Status, r.DecidedBy, micro(r.DecidedAt), r.DecisionReason, r.For.Microseconds(), r.OverrideID, id); err != nil {
			return fmt.Errorf("store: approve request %d: %w", id, err)
		}
		t.audit("request.approve", "request:"+strconv.FormatInt(id, 10), before, r)
		return nil
	})
	return r, o, err
}

// DenyRequest denies a pending request, with a reason.
func (s *Store) DenyRequest(ctx context.Context, by Actor, id int64, reason string) (Request, error) {
	var r Request
	if strings.TrimSpace(reason) == "" {
		return r, fmt.Errorf("store: %w: deny: a reason is required", ErrInvalid)
	}
	err := s.write(ctx, by, func(t *tx) error {
		var err error
		r, err = getRequest(ctx, t, by.scope(), id)
		if err != nil {
			return err
		}
		if r.Status != StatusPending {
			return fmt.Errorf("store: request %d: %w (%s)", id, ErrNotPending, r.Status)
		}
		before := r
		r.Status, r.DecidedBy, r.DecidedAt, r.DecisionReason = StatusDenied, by.Name, s.now().Truncate(time.Microsecond).UTC(), reason
		if _, err := t.ExecContext(ctx, `UPDATE requests SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4 WHERE id = $5`,
			r.Status, r.DecidedBy, micro(r.DecidedAt), r.DecisionReason, id); err != nil {
			return fmt.Errorf("store: deny request %d: %w", id, err)
		}
		t.audit("request.deny", "request:"+strconv.FormatInt(id, 10), before, r)
		return nil
	})
	return r, err
}
