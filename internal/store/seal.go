package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Second-factor secrets are sealed at rest with AES-256-GCM, so a copy of
// the database (a backup, a dump handed to a supplier) signs nobody in.
// The key is not in the database: it is the file secrets.key in each
// node's data directory (64 hex digits, 0600), made by the first node to
// start. The database keeps only a check value of the key (secrets row
// at-rest-key-check, an HMAC that does not reveal it), so a node with no
// key file or another key refuses to start instead of locking everyone
// out or sealing with a second key: nodes sharing one PostgreSQL need
// the same file, copied from the first node, and a restore needs the
// database and that file.

// ErrSealKey is a key file that is missing or not the one the database's
// secrets were sealed with.
var ErrSealKey = errors.New("at-rest key")

// sealPrefix marks a sealed value (a TOTP secret is base32: never a ':').
const sealPrefix = "v1:"

// keyCheckName is the secrets row holding the key's check value.
const keyCheckName = "at-rest-key-check"

// sealer encrypts and decrypts the secrets kept at rest.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("store: %w: want 32 bytes, have %d", ErrSealKey, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("store: %w: %w", ErrSealKey, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("store: %w: %w", ErrSealKey, err)
	}
	return &sealer{aead: aead}, nil
}

// seal encrypts plain, bound to where it is kept (ad: the table and row),
// so a sealed value copied to another row does not open.
func (s *sealer) seal(plain, ad string) string {
	if s.aead == nil {
		return sealPrefix // the key is not checked yet: opens as damaged, never in clear
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	rand.Read(nonce)
	return sealPrefix + base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), []byte(ad)))
}

// open decrypts a sealed value ("" stays "").
func (s *sealer) open(sealed, ad string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if s.aead == nil {
		return "", fmt.Errorf("store: %w: the at-rest key is not checked yet: %w", ErrSealKey, ErrUnavailable)
	}
	b64, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", fmt.Errorf("store: %w: a secret kept in clear", ErrSealKey)
	}
	b, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", fmt.Errorf("store: %w: a sealed secret is damaged", ErrSealKey)
	}
	plain, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], []byte(ad))
	if err != nil {
		return "", fmt.Errorf("store: %w: a secret does not open with this key", ErrSealKey)
	}
	return string(plain), nil
}

// keyCheck is the value kept in the database to recognise the key.
func keyCheck(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("schoolgate at-rest key check"))
	return hex.EncodeToString(m.Sum(nil))
}

// loadSealKey reads the key file, or makes it (0600) when the database
// has no key's check value yet, and checks it against the database.
func (s *Store) loadSealKey(ctx context.Context, path string, makeKey bool) ([]byte, error) {
	var want string
	err := s.w.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = $1`, keyCheckName).Scan(&want)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: at-rest key check: %w", err)
	}
	raw, err := os.ReadFile(path)
	made := false
	switch {
	case errors.Is(err, fs.ErrNotExist) && !makeKey:
		return nil, errNoKeyFile
	case errors.Is(err, fs.ErrNotExist) && want != "":
		return nil, fmt.Errorf("store: %w: %s is missing, but the database's secrets are sealed with a key: copy secrets.key from the node that made it (or the backup taken with the database)", ErrSealKey, path)
	case errors.Is(err, fs.ErrNotExist):
		key := make([]byte, 32)
		rand.Read(key)
		if err := writeKeyFile(path, key); err != nil {
			return nil, err
		}
		raw, made = []byte(hex.EncodeToString(key)+"\n"), true
	case err != nil:
		return nil, fmt.Errorf("store: %w: %w", ErrSealKey, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("store: %w: %s: want 64 hex digits", ErrSealKey, path)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, fmt.Errorf("store: restrict %s to 600: %w", path, err)
		}
	}
	check := keyCheck(key)
	if want == "" {
		// Two nodes starting at once: the first check written wins.
		if _, err := s.w.ExecContext(ctx, `INSERT INTO secrets (name, value, created) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
			keyCheckName, check, micro(s.now())); err != nil {
			return nil, fmt.Errorf("store: at-rest key check: %w", err)
		}
		if err := s.w.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = $1`, keyCheckName).Scan(&want); err != nil {
			return nil, fmt.Errorf("store: at-rest key check: %w", err)
		}
	}
	if !hmac.Equal([]byte(want), []byte(check)) {
		if made {
			os.Remove(path) // another node made the key first: copy its file
		}
		return nil, fmt.Errorf("store: %w: %s is not the key the database's secrets are sealed with: copy secrets.key from the node that made it", ErrSealKey, path)
	}
	return key, nil
}

func writeKeyFile(path string, key []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: %w: create %s: %w", ErrSealKey, path, err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return fmt.Errorf("store: %w: write %s: %w", ErrSealKey, path, err)
	}
	return nil
}

// totpAD and pendingAD bind a sealed secret to its row.
func totpAD(username string) string  { return "console_totp:" + username }
func pendingAD(idHash string) string { return "console_sessions:" + idHash }

// sealClearSecrets seals the second-factor secrets an older version kept
// in clear, in one transaction, and returns how many it sealed.
func (s *Store) sealClearSecrets(ctx context.Context) (int, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: sealing secrets: %w", err)
	}
	defer tx.Rollback()
	type row struct{ key, secret string }
	read := func(q string) ([]row, error) {
		rows, err := tx.QueryContext(ctx, q, sealPrefix+"%")
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.key, &r.secret); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, rows.Err()
	}
	totp, err := read(`SELECT username, secret FROM console_totp WHERE secret NOT LIKE $1`)
	if err != nil {
		return 0, fmt.Errorf("store: sealing secrets: %w", err)
	}
	pending, err := read(`SELECT id_hash, pending_secret FROM console_sessions WHERE pending_secret <> '' AND pending_secret NOT LIKE $1`)
	if err != nil {
		return 0, fmt.Errorf("store: sealing secrets: %w", err)
	}
	for _, r := range totp {
		if _, err := tx.ExecContext(ctx, `UPDATE console_totp SET secret = $1 WHERE username = $2`, s.sealer().seal(r.secret, totpAD(r.key)), r.key); err != nil {
			return 0, fmt.Errorf("store: sealing secrets: %w", err)
		}
	}
	for _, r := range pending {
		if _, err := tx.ExecContext(ctx, `UPDATE console_sessions SET pending_secret = $1 WHERE id_hash = $2`, s.sealer().seal(r.secret, pendingAD(r.key)), r.key); err != nil {
			return 0, fmt.Errorf("store: sealing secrets: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: sealing secrets: %w", err)
	}
	return len(totp) + len(pending), nil
}

// errNoKeyFile: a command (not serve) found no key file.
var errNoKeyFile = errors.New("no key file")

// setupSeal loads the key (a random one for this process when there is
// none to use: tests, and commands run away from the nodes, which never
// read a second factor) and seals any secret still in clear.
func (s *Store) setupSeal(ctx context.Context, keyFile string, makeKey bool) error {
	key, err := []byte(nil), errNoKeyFile
	if keyFile != "" {
		key, err = s.loadSealKey(ctx, keyFile, makeKey)
	}
	ephemeral := errors.Is(err, errNoKeyFile)
	switch {
	case ephemeral:
		key = make([]byte, 32)
		rand.Read(key)
	case err != nil:
		return err
	}
	sl, err := newSealer(key)
	if err != nil {
		return err
	}
	s.seal.Store(sl)
	if ephemeral {
		return nil // a key for this process must not seal what the real one should
	}
	n, err := s.sealClearSecrets(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Info("second-factor secrets sealed at rest", "secrets", n)
	}
	return nil
}
