package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// Secret returns the random secret called name, size bytes long, creating
// it on first use. Every node sharing the database gets the same one (the
// block page's form-token key): the first to ask creates it, the others
// read what it wrote. Secrets never appear in the audit trail.
func (s *Store) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	if name == "" || size < 16 {
		return nil, fmt.Errorf("store: %w: secret %q of %d bytes", ErrInvalid, name, size)
	}
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("store: secret %s: %w", name, err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO secrets (name, value, created) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
		name, hex.EncodeToString(b), micro(s.now())); err != nil {
		return nil, fmt.Errorf("store: secret %s: %w", name, err)
	}
	var v string
	if err := s.w.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, fmt.Errorf("store: secret %s: %w", name, err)
	}
	got, err := hex.DecodeString(v)
	if err != nil || len(got) < 16 {
		return nil, fmt.Errorf("store: secret %s: %w: stored value is not a key", name, ErrInvalid)
	}
	return got, nil
}
