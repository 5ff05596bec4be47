package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretsSealedAtRest: a TOTP secret (enrolled or pending) is kept
// sealed: the raw columns hold no secret, and it reads back through the
// store. A secret an older version kept in clear is sealed on the next
// start; the key file is 0600; a node with another key, or none when the
// database has one, refuses to start; a command away from the nodes (no
// key file, not serve) opens the store but no secret. Both databases.
func TestSecretsSealedAtRest(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			keyFile := filepath.Join(dir, "secrets.key")
			opt := Options{SQLitePath: filepath.Join(dir, "schoolgate.db"), SecretKeyFile: keyFile, MakeSecretKey: true}
			if db == "postgres" {
				opt = Options{PostgresDSN: PostgresTestDSN(t), SecretKeyFile: keyFile, MakeSecretKey: true}
			}
			s := openTest(t, opt)
			if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("key file: %v %v", fi, err)
			}
			const secret, pending = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK"
			if err := s.EnrolConsoleTOTP(ctx, Actor{Name: "dsl1"}, "dsl1", secret, 1, nil); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateConsoleSession(ctx, ConsoleSession{IDHash: "h1", Username: "dsl1", CSRF: "c", PendingSecret: pending}); err != nil {
				t.Fatal(err)
			}
			raw := func() (string, string) {
				var a, b string
				if err := s.r.QueryRowContext(ctx, `SELECT secret FROM console_totp WHERE username = 'dsl1'`).Scan(&a); err != nil {
					t.Fatal(err)
				}
				if err := s.r.QueryRowContext(ctx, `SELECT pending_secret FROM console_sessions WHERE id_hash = 'h1'`).Scan(&b); err != nil {
					t.Fatal(err)
				}
				return a, b
			}
			check := func(when string) {
				t.Helper()
				a, b := raw()
				if strings.Contains(a, secret) || strings.Contains(b, pending) || !strings.HasPrefix(a, sealPrefix) || !strings.HasPrefix(b, sealPrefix) {
					t.Errorf("%s: raw columns %q %q hold a secret in clear", when, a, b)
				}
				if got, err := s.GetConsoleTOTP(ctx, "dsl1"); err != nil || got.Secret != secret {
					t.Errorf("%s: read back %q %v", when, got.Secret, err)
				}
				if got, err := s.GetConsoleSession(ctx, "h1"); err != nil || got.PendingSecret != pending {
					t.Errorf("%s: pending read back %q %v", when, got.PendingSecret, err)
				}
			}
			check("enrolled")

			// A sealed value moved to another row does not open.
			a, _ := raw()
			if _, err := s.w.ExecContext(ctx, `INSERT INTO console_totp (username, secret, enrolled) VALUES ('other', $1, 0)`, a); err != nil {
				t.Fatal(err)
			}
			if _, err := s.GetConsoleTOTP(ctx, "other"); !errors.Is(err, ErrSealKey) {
				t.Errorf("a sealed secret copied to another person: %v", err)
			}
			if _, err := s.w.ExecContext(ctx, `DELETE FROM console_totp WHERE username = 'other'`); err != nil {
				t.Fatal(err)
			}

			// An older version's clear secrets are sealed at the next start.
			if _, err := s.w.ExecContext(ctx, `UPDATE console_totp SET secret = $1`, secret); err != nil {
				t.Fatal(err)
			}
			if _, err := s.w.ExecContext(ctx, `UPDATE console_sessions SET pending_secret = $1`, pending); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s = openTest(t, opt)
			check("after the upgrade")

			// Another key, or none, refuses to start.
			s.Close()
			if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(ctx, opt); !errors.Is(err, ErrSealKey) || !strings.Contains(err.Error(), "secrets.key") {
				t.Errorf("another key: %v", err)
			}
			os.Remove(keyFile)
			if _, err := Open(ctx, opt); !errors.Is(err, ErrSealKey) {
				t.Errorf("no key: %v", err)
			}
			if _, err := os.Stat(keyFile); err == nil {
				t.Error("a new key was made for a database sealed with another")
			}
			// A command run elsewhere: the store opens, no secret does.
			cmd := opt
			cmd.MakeSecretKey = false
			s = openTest(t, cmd)
			if _, err := s.GetConsoleTOTP(ctx, "dsl1"); !errors.Is(err, ErrSealKey) {
				t.Errorf("a secret opened without the key: %v", err)
			}
		})
	}
}
