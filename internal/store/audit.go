package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// genesis is the previous hash of the first record.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// AuditRecord is one entry of the append-only, hash-chained audit trail.
type AuditRecord struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Roles  string    `json:"roles,omitempty"`
	OSUser string    `json:"os_user,omitempty"`
	From   string    `json:"from"`
	Action string    `json:"action"`
	Object string    `json:"object"`
	Before string    `json:"before,omitempty"`
	After  string    `json:"after,omitempty"`
	Prev   string    `json:"prev_hash"`
	Hash   string    `json:"hash"`
}

// canonical is the record's hashed encoding: every field, in a fixed order,
// length-prefixed so no two records encode the same, then the previous
// hash. A record with the actor's roles or OS account (schema version 6
// on) is encoded as v2, which adds both; one without them keeps v1, the
// form records written before had, so they still verify. Blanking the
// fields of a v2 record changes its encoding, and so its hash: that is
// caught like any other edit.
func (r *AuditRecord) canonical() []byte {
	var b []byte
	v2 := r.Roles != "" || r.OSUser != ""
	if v2 {
		b = append(b, "schoolgate-audit-v2\n"...)
	} else {
		b = append(b, "schoolgate-audit-v1\n"...)
	}
	field := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
		b = append(b, '\n')
	}
	field(strconv.FormatInt(r.ID, 10))
	field(strconv.FormatInt(micro(r.At), 10))
	field(r.Actor)
	field(r.From)
	field(r.Action)
	field(r.Object)
	field(r.Before)
	field(r.After)
	if v2 {
		field(r.Roles)
		field(r.OSUser)
	}
	field(r.Prev)
	return b
}

// ComputeHash is the SHA-256 of the canonical encoding, in hex.
func (r *AuditRecord) ComputeHash() string {
	h := sha256.Sum256(r.canonical())
	return hex.EncodeToString(h[:])
}

// appendAudit appends t's queued records after the chain's head. Appends
// are serialised: SQLite transactions already hold the database's write
// lock (BEGIN IMMEDIATE on the single write connection); PostgreSQL takes a
// transaction-scoped advisory lock, held until commit.
func (s *Store) appendAudit(ctx context.Context, t *tx) error {
	if s.dialect == Postgres {
		if _, err := t.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7312)`); err != nil {
			return fmt.Errorf("store: audit lock: %w", err)
		}
	}
	id, prev, err := headIn(ctx, t.Tx)
	if err != nil {
		return err
	}
	now := s.now().Truncate(time.Microsecond)
	for _, e := range t.audits {
		before, err := jsonText(e.before)
		if err != nil {
			return fmt.Errorf("store: audit: %w", err)
		}
		after, err := jsonText(e.after)
		if err != nil {
			return fmt.Errorf("store: audit: %w", err)
		}
		id++
		r := AuditRecord{ID: id, At: now, Actor: t.actor.Name, Roles: t.actor.Roles, OSUser: t.actor.OSUser, From: t.actor.From,
			Action: e.action, Object: e.object, Before: before, After: after, Prev: prev}
		r.Hash = r.ComputeHash()
		site := t.actor.Site
		if site == "" {
			site = DefaultSite
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO audit (id, at, actor, actor_roles, os_user, origin, action, object, before, after, prev_hash, hash, site)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			r.ID, micro(r.At), r.Actor, r.Roles, r.OSUser, r.From, r.Action, r.Object, r.Before, r.After, r.Prev, r.Hash, site); err != nil {
			return fmt.Errorf("store: audit append: %w", err)
		}
		prev = r.Hash
	}
	return nil
}

const auditCols = `id, at, actor, actor_roles, os_user, origin, action, object, before, after, prev_hash, hash`

// scanAudit reads one row selected as auditCols.
func scanAudit(rows *sql.Rows) (AuditRecord, error) {
	var r AuditRecord
	var at int64
	if err := rows.Scan(&r.ID, &at, &r.Actor, &r.Roles, &r.OSUser, &r.From, &r.Action, &r.Object, &r.Before, &r.After, &r.Prev, &r.Hash); err != nil {
		return r, fmt.Errorf("store: audit: %w", err)
	}
	r.At = fromMicro(at)
	return r, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func headIn(ctx context.Context, q queryer) (int64, string, error) {
	var id int64
	var hash string
	err := q.QueryRowContext(ctx, `SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1`).Scan(&id, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, genesis, nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("store: audit head: %w", err)
	}
	return id, hash, nil
}

// Audit appends a record that is not part of another change (a policy
// reload, a read of safeguarding data).
func (s *Store) Audit(ctx context.Context, by Actor, action, object string, before, after any) error {
	return s.write(ctx, by, func(t *tx) error {
		t.audit(action, object, before, after)
		return nil
	})
}

// AuditHead returns the latest record's id and hash (0 and the genesis
// hash when the trail is empty).
func (s *Store) AuditHead(ctx context.Context) (int64, string, error) {
	return headIn(ctx, s.r)
}

// VerifyResult is what VerifyAudit found.
type VerifyResult struct {
	Records  int64
	HeadID   int64
	HeadHash string
	// BadID is the first record that does not verify (0 when all do), and
	// Problem says why.
	BadID   int64
	Problem string
}

// OK reports whether the chain verified.
func (v *VerifyResult) OK() bool { return v.Problem == "" }

// VerifyAudit walks the whole chain. It finds an edited record (its hash
// does not match its content), a deleted one (a gap in the ids, or a
// previous-hash that does not match), an inserted one (the same), and,
// when head is given (a hash written down earlier, e.g. in a governors'
// report), a cut-off tail: head must still be in the chain.
func (s *Store) VerifyAudit(ctx context.Context, head string) (*VerifyResult, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+auditCols+` FROM audit ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	defer rows.Close()
	res := &VerifyResult{HeadHash: genesis}
	head = strings.ToLower(strings.TrimSpace(head))
	foundHead := head == "" || head == genesis
	prev, prevID := genesis, int64(0)
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		res.Records++
		if res.Problem == "" {
			switch {
			case r.ID != prevID+1:
				res.BadID, res.Problem = r.ID, fmt.Sprintf("records %d to %d are missing (deleted), or this record was inserted", prevID+1, r.ID-1)
			case r.Prev != prev:
				res.BadID, res.Problem = r.ID, "its previous-hash does not match the record before it (a record was deleted, inserted or rewritten)"
			case r.ComputeHash() != r.Hash:
				res.BadID, res.Problem = r.ID, "its content does not match its hash (the record was edited)"
			}
		}
		if r.Hash == head {
			foundHead = true
		}
		prev, prevID = r.Hash, r.ID
		res.HeadID, res.HeadHash = r.ID, r.Hash
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	if res.Problem == "" && !foundHead {
		res.BadID = res.HeadID + 1
		res.Problem = fmt.Sprintf("the given head %s is not in the chain: records after %d were cut off (or the chain was rewritten)", head, res.HeadID)
	}
	return res, nil
}

// AuditFilter selects audit records.
type AuditFilter struct {
	Since, Until time.Time
	Actor        string
	Action       string
	Object       string // exact, e.g. user:ada
	Limit        int
	Newest       bool // newest first (the limit keeps the latest)
	// Site, when set, is the reader's scope: a school's records only
	// (AllSites: every school's). The console and the CLI always set it.
	Site string
}

// ListAudit returns records, oldest first (newest first with f.Newest).
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	q := `SELECT ` + auditCols + ` FROM audit WHERE 1=1`
	var args []any
	arg := func(cond string, v any) {
		args = append(args, v)
		q += fmt.Sprintf(" AND "+cond, len(args))
	}
	if !f.Since.IsZero() {
		arg("at >= $%d", micro(f.Since))
	}
	if !f.Until.IsZero() {
		arg("at < $%d", micro(f.Until))
	}
	if f.Actor != "" {
		arg("actor = $%d", f.Actor)
	}
	if f.Action != "" {
		arg("action = $%d", f.Action)
	}
	if f.Object != "" {
		arg("object = $%d", f.Object)
	}
	if f.Site != "" && f.Site != AllSites {
		arg("site = $%d", f.Site)
	}
	q += " ORDER BY id"
	if f.Newest {
		q += " DESC"
	}
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
