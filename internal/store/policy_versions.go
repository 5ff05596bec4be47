package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kinds of policy version.
const (
	PolicyTrust  = "trust"  // the trust's file: every school's base
	PolicySchool = "school" // one school's file, extending the trust's
)

// trustScope is the site a trust version is stored under: every site.
const trustScope = "*"

// PolicyList is one list a policy version uses: the path (or url) as the
// file writes it and the hash of the content stored for it (list_blobs.go).
// Archive marks a folder (a UT1 category) stored as a tar of its files.
type PolicyList struct {
	Source  string `json:"source"`
	Hash    string `json:"hash"`
	Archive bool   `json:"archive,omitempty"`
}

// PolicyVersion is one pushed policy file and the lists it used then.
type PolicyVersion struct {
	ID        int64        `json:"id"`
	Kind      string       `json:"kind"`
	Site      string       `json:"site"`
	Content   string       `json:"-"`
	Lists     []PolicyList `json:"lists"`
	CreatedAt time.Time    `json:"created_at"`
	CreatedBy string       `json:"created_by"`
	Note      string       `json:"note"`
	// CopiedFrom is the version a rollback copied (0 for a push).
	CopiedFrom int64 `json:"copied_from,omitempty"`
}

// ContentHash is the SHA-256 of the file's content, hex.
func (v PolicyVersion) ContentHash() string {
	sum := sha256.Sum256([]byte(v.Content))
	return hex.EncodeToString(sum[:])
}

// scope is the site the version is stored under.
func (v PolicyVersion) scope() string {
	if v.Kind == PolicyTrust {
		return trustScope
	}
	return v.Site
}

// object names the version's policy in the audit trail.
func (v PolicyVersion) object() string {
	if v.Kind == PolicyTrust {
		return "policy:trust"
	}
	return "policy:" + v.Site
}

// PushPolicy stores a new version of the trust's or a school's policy with
// the content of every list it uses (blobs, keyed by hash; a list already
// stored is kept once), and its audit record, in one transaction.
func (s *Store) PushPolicy(ctx context.Context, by Actor, v PolicyVersion, blobs map[string][]byte) (PolicyVersion, error) {
	if err := checkPolicyVersion(v); err != nil {
		return v, err
	}
	v.CreatedAt, v.CreatedBy, v.CopiedFrom = s.now().Truncate(time.Microsecond).UTC(), by.Name, 0
	err := s.write(ctx, by, func(t *tx) error {
		for _, l := range v.Lists {
			if data, ok := blobs[l.Hash]; ok {
				if err := t.putBlob(ctx, l.Hash, data); err != nil {
					return err
				}
				continue
			}
			var n int
			if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM list_blobs WHERE hash = $1`, l.Hash).Scan(&n); err != nil {
				return fmt.Errorf("store: push policy: %w", err)
			}
			if n == 0 {
				return fmt.Errorf("store: push policy: list %s (%s): %w: no content given or stored", l.Source, l.Hash, ErrInvalid)
			}
		}
		return t.insertPolicy(ctx, &v, "policy.push")
	})
	return v, err
}

// RollbackPolicy stores a new version equal to version id (same kind,
// site, file and lists), noting which version it copies, with its audit
// record.
func (s *Store) RollbackPolicy(ctx context.Context, by Actor, id int64, note string) (PolicyVersion, error) {
	var v PolicyVersion
	err := s.write(ctx, by, func(t *tx) error {
		old, err := scanPolicy(t.QueryRowContext(ctx, policySelect+` WHERE id = $1`, id))
		if err != nil {
			return err
		}
		v = old
		v.CreatedAt, v.CreatedBy, v.CopiedFrom = s.now().Truncate(time.Microsecond).UTC(), by.Name, id
		v.Note = strings.TrimSpace(note)
		if v.Note == "" {
			v.Note = fmt.Sprintf("rollback to version %d", id)
		}
		return t.insertPolicy(ctx, &v, "policy.rollback")
	})
	return v, err
}

func checkPolicyVersion(v PolicyVersion) error {
	switch {
	case v.Kind != PolicyTrust && v.Kind != PolicySchool:
		return fmt.Errorf("store: %w: policy kind %q (want trust or school)", ErrInvalid, v.Kind)
	case v.Kind == PolicySchool && (v.Site == "" || v.Site == trustScope):
		return fmt.Errorf("store: %w: a school's policy needs its site", ErrInvalid)
	case v.Kind == PolicyTrust && v.Site != "" && v.Site != trustScope:
		return fmt.Errorf("store: %w: the trust's policy belongs to no one site (got %q)", ErrInvalid, v.Site)
	case strings.TrimSpace(v.Content) == "":
		return fmt.Errorf("store: %w: the policy file is empty", ErrInvalid)
	}
	for _, l := range v.Lists {
		if l.Source == "" || len(l.Hash) != 64 {
			return fmt.Errorf("store: %w: list %q has no source or no SHA-256", ErrInvalid, l.Source)
		}
	}
	return nil
}

func (t *tx) insertPolicy(ctx context.Context, v *PolicyVersion, action string) error {
	lists := v.Lists
	if lists == nil {
		lists = []PolicyList{}
	}
	lj, err := json.Marshal(lists)
	if err != nil {
		return fmt.Errorf("store: policy lists: %w", err)
	}
	if v.Kind == PolicyTrust {
		v.Site = trustScope
	}
	if err := t.QueryRowContext(ctx, `INSERT INTO policy_versions (kind, site, content, lists, created_at, created_by, note, copied_from)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		v.Kind, v.scope(), v.Content, string(lj), micro(v.CreatedAt), v.CreatedBy, v.Note, v.CopiedFrom).Scan(&v.ID); err != nil {
		return fmt.Errorf("store: %s: %w", action, err)
	}
	after := map[string]any{"version": v.ID, "kind": v.Kind, "site": v.Site, "sha256": v.ContentHash(), "lists": len(v.Lists), "note": v.Note}
	if v.CopiedFrom != 0 {
		after["copied_from"] = v.CopiedFrom
	}
	t.audit(action, v.object(), nil, after)
	t.touch(ChangePolicy)
	return nil
}

const policySelect = `SELECT id, kind, site, content, lists, created_at, created_by, note, copied_from FROM policy_versions`

func scanPolicy(r rowScanner) (PolicyVersion, error) {
	var v PolicyVersion
	var lists string
	var at int64
	err := r.Scan(&v.ID, &v.Kind, &v.Site, &v.Content, &lists, &at, &v.CreatedBy, &v.Note, &v.CopiedFrom)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("store: policy version: %w", ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("store: policy version: %w", err)
	}
	v.CreatedAt = fromMicro(at)
	if err := json.Unmarshal([]byte(lists), &v.Lists); err != nil {
		return v, fmt.Errorf("store: policy version %d lists: %w", v.ID, err)
	}
	return v, nil
}

// PolicyVersionByID returns one version (ErrNotFound if there is none).
func (s *Store) PolicyVersionByID(ctx context.Context, id int64) (PolicyVersion, error) {
	return scanPolicy(s.r.QueryRowContext(ctx, policySelect+` WHERE id = $1`, id))
}

// LatestPolicy returns the newest trust version (kind trust) or site's
// newest school version (ErrNotFound if there is none).
func (s *Store) LatestPolicy(ctx context.Context, kind, site string) (PolicyVersion, error) {
	if kind == PolicyTrust {
		site = trustScope
	}
	return scanPolicy(s.r.QueryRowContext(ctx, policySelect+` WHERE kind = $1 AND site = $2 ORDER BY id DESC LIMIT 1`, kind, site))
}

// PolicyHead is the newest version id that site's nodes run on (the
// trust's or the site's), 0 when there is none: a node polls it to see a
// new version.
func (s *Store) PolicyHead(ctx context.Context, site string) (int64, error) {
	var id sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT MAX(id) FROM policy_versions WHERE site IN ($1, $2)`, trustScope, site).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: policy head: %w", err)
	}
	return id.Int64, nil
}

// PolicyHistory returns versions newest first, at most limit (0: all):
// with site "", every version; else the trust's and that site's.
func (s *Store) PolicyHistory(ctx context.Context, site string, limit int) ([]PolicyVersion, error) {
	q, args := policySelect, []any{}
	if site != "" {
		q += ` WHERE site IN ($1, $2)`
		args = append(args, trustScope, site)
	}
	q += ` ORDER BY id DESC`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: policy history: %w", err)
	}
	defer rows.Close()
	var out []PolicyVersion
	for rows.Next() {
		v, err := scanPolicy(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// PolicySites lists the sites that have a school version, sorted.
func (s *Store) PolicySites(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT site FROM policy_versions WHERE kind = $1 ORDER BY site`, PolicySchool)
	if err != nil {
		return nil, fmt.Errorf("store: policy sites: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var site string
		if err := rows.Scan(&site); err != nil {
			return nil, fmt.Errorf("store: policy sites: %w", err)
		}
		out = append(out, site)
	}
	return out, rows.Err()
}
