package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// ErrBlobCorrupt: a stored list's content no longer has the hash it is
// stored under.
var ErrBlobCorrupt = errors.New("list content does not match its hash")

// BlobHash is the key a list's content is stored under: its SHA-256, hex.
func BlobHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// putBlob stores data (gzip-compressed) under its hash unless it is there
// already, in t.
func (t *tx) putBlob(ctx context.Context, hash string, data []byte) error {
	if BlobHash(data) != hash {
		return fmt.Errorf("store: list %s: %w", hash, ErrBlobCorrupt)
	}
	var n int
	if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM list_blobs WHERE hash = $1`, hash).Scan(&n); err != nil {
		return fmt.Errorf("store: list blob: %w", err)
	}
	if n > 0 {
		return nil
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		return fmt.Errorf("store: compress list: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("store: compress list: %w", err)
	}
	if _, err := t.ExecContext(ctx, `INSERT INTO list_blobs (hash, size, data, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (hash) DO NOTHING`, hash, len(data), buf.Bytes(), micro(t.s.now())); err != nil {
		return fmt.Errorf("store: list blob: %w", err)
	}
	return nil
}

// ListBlob returns the content stored under hash, checked against it.
func (s *Store) ListBlob(ctx context.Context, hash string) ([]byte, error) {
	var z []byte
	var size int64
	err := s.r.QueryRowContext(ctx, `SELECT size, data FROM list_blobs WHERE hash = $1`, hash).Scan(&size, &z)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: list %s: %w", hash, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w", hash, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w: %w", hash, ErrBlobCorrupt, err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, size+1))
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w: %w", hash, ErrBlobCorrupt, err)
	}
	if BlobHash(data) != hash {
		return nil, fmt.Errorf("store: list %s: %w", hash, ErrBlobCorrupt)
	}
	return data, nil
}

// HasListBlob reports whether content with this hash is stored.
func (s *Store) HasListBlob(ctx context.Context, hash string) (bool, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM list_blobs WHERE hash = $1`, hash).Scan(&n); err != nil {
		return false, fmt.Errorf("store: list blob: %w", err)
	}
	return n > 0, nil
}
