package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ConsoleSession is one signed-in browser of the safeguarding console.
// The cookie holds an opaque random id; only its SHA-256 (IDHash) is
// stored.
type ConsoleSession struct {
	IDHash   string
	Username string
	Created  time.Time
	Seen     time.Time
	// Verified is when the second factor was given; zero: not yet (or
	// the person's roles need none, and the console set it at sign-in).
	Verified time.Time
	// CSRF is the token every form of this session carries.
	CSRF string
	// PendingSecret is a TOTP secret shown for enrolment, not yet proved.
	PendingSecret string
	Address       string
	UserAgent     string
}

const consoleSessionCols = `id_hash, username, created, seen, verified, csrf, pending_secret, address, user_agent`

// CreateConsoleSession stores a new session.
func (s *Store) CreateConsoleSession(ctx context.Context, cs ConsoleSession) error {
	if cs.IDHash == "" || cs.Username == "" || cs.CSRF == "" {
		return fmt.Errorf("store: console session: %w: id, user and token required", ErrInvalid)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO console_sessions (`+consoleSessionCols+`, site)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9, COALESCE((SELECT site FROM users WHERE username = $2), 'school'))`,
		cs.IDHash, cs.Username, micro(cs.Created), micro(cs.Seen), micro(cs.Verified), cs.CSRF, s.sealPending(cs.PendingSecret, cs.IDHash), cs.Address, cs.UserAgent)
	if err != nil {
		return fmt.Errorf("store: console session: %w", err)
	}
	return nil
}

// GetConsoleSession returns the session with that id hash, or ErrNotFound.
// It says nothing about expiry: the console decides that with its clock.
func (s *Store) GetConsoleSession(ctx context.Context, idHash string) (ConsoleSession, error) {
	var cs ConsoleSession
	var created, seen, verified int64
	err := s.r.QueryRowContext(ctx, `SELECT `+consoleSessionCols+` FROM console_sessions WHERE id_hash = $1`, idHash).
		Scan(&cs.IDHash, &cs.Username, &created, &seen, &verified, &cs.CSRF, &cs.PendingSecret, &cs.Address, &cs.UserAgent)
	if errors.Is(err, sql.ErrNoRows) {
		return cs, fmt.Errorf("store: console session: %w", ErrNotFound)
	}
	if err != nil {
		return cs, fmt.Errorf("store: console session: %w", err)
	}
	cs.Created, cs.Seen, cs.Verified = fromMicro(created), fromMicro(seen), fromMicro(verified)
	if cs.PendingSecret, err = s.sealer().open(cs.PendingSecret, pendingAD(cs.IDHash)); err != nil {
		return cs, fmt.Errorf("store: console session: %w", err)
	}
	return cs, nil
}

// sealPending seals a pending secret for the session idHash ("" stays "").
func (s *Store) sealPending(secret, idHash string) string {
	if secret == "" {
		return ""
	}
	return s.sealer().seal(secret, pendingAD(idHash))
}

// updateConsoleSession runs one UPDATE on a session; ErrNotFound when it
// has gone.
func (s *Store) updateConsoleSession(ctx context.Context, set string, idHash string, args ...any) error {
	args = append(args, idHash)
	res, err := s.w.ExecContext(ctx, `UPDATE console_sessions SET `+set+fmt.Sprintf(` WHERE id_hash = $%d`, len(args)), args...)
	if err != nil {
		return fmt.Errorf("store: console session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: console session: %w", ErrNotFound)
	}
	return nil
}

// TouchConsoleSession records use of a session at at (the idle timeout
// counts from it).
func (s *Store) TouchConsoleSession(ctx context.Context, idHash string, at time.Time) error {
	return s.updateConsoleSession(ctx, `seen = $1`, idHash, micro(at))
}

// VerifyConsoleSession records the second factor given at at, and drops
// any pending secret.
func (s *Store) VerifyConsoleSession(ctx context.Context, idHash string, at time.Time) error {
	return s.updateConsoleSession(ctx, `verified = $1, pending_secret = ''`, idHash, micro(at))
}

// RotateConsoleSession gives a session a new id (its hash) as it records
// the second factor given at at: the id a visitor held before proving it
// no longer opens anything.
func (s *Store) RotateConsoleSession(ctx context.Context, oldHash, newHash string, at time.Time) error {
	return s.updateConsoleSession(ctx, `id_hash = $1, verified = $2, pending_secret = ''`, oldHash, newHash, micro(at))
}

// SetConsolePendingSecret keeps a TOTP secret being enrolled on the
// session until a code proves it.
func (s *Store) SetConsolePendingSecret(ctx context.Context, idHash, secret string) error {
	return s.updateConsoleSession(ctx, `pending_secret = $1`, idHash, s.sealPending(secret, idHash))
}

// EndConsoleSession deletes one session (sign out). Ending one already
// gone is not an error.
func (s *Store) EndConsoleSession(ctx context.Context, idHash string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM console_sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("store: end console session: %w", err)
	}
	return nil
}

// EndConsoleSessions deletes every session of a person (sign out
// everywhere; disabling them) and returns how many there were.
func (s *Store) EndConsoleSessions(ctx context.Context, username string) (int64, error) {
	return endConsoleSessions(ctx, s.w, username)
}

func endConsoleSessions(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, username string) (int64, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM console_sessions WHERE username = $1`, username)
	if err != nil {
		return 0, fmt.Errorf("store: end console sessions of %s: %w", username, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// PurgeConsoleSessions deletes the sessions unused since idleBefore or
// created before createdBefore.
func (s *Store) PurgeConsoleSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM console_sessions WHERE seen < $1 OR created < $2`, micro(idleBefore), micro(createdBefore))
	if err != nil {
		return 0, fmt.Errorf("store: purge console sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// ConsoleTOTP is a person's enrolled second factor.
type ConsoleTOTP struct {
	Secret   string
	LastStep int64
	// Recovery holds the SHA-256 (hex) of each unused recovery code.
	Recovery []string
	Enrolled time.Time
}

// GetConsoleTOTP returns a person's second factor, or ErrNotFound when
// they have not enrolled.
func (s *Store) GetConsoleTOTP(ctx context.Context, username string) (ConsoleTOTP, error) {
	var t ConsoleTOTP
	var rec string
	var enrolled int64
	err := s.r.QueryRowContext(ctx, `SELECT secret, last_step, recovery, enrolled FROM console_totp WHERE username = $1`, username).
		Scan(&t.Secret, &t.LastStep, &rec, &enrolled)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("store: second factor of %s: %w", username, ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("store: second factor of %s: %w", username, err)
	}
	t.Recovery, t.Enrolled = strings.Fields(rec), fromMicro(enrolled)
	if t.Secret, err = s.sealer().open(t.Secret, totpAD(username)); err != nil {
		return t, fmt.Errorf("store: second factor of %s: %w", username, err)
	}
	return t, nil
}

// EnrolConsoleTOTP stores (or replaces) a person's TOTP secret and
// recovery code hashes, step being the one its first code used. The audit
// record names the person, never the secret.
func (s *Store) EnrolConsoleTOTP(ctx context.Context, by Actor, username, secret string, step int64, recovery []string) error {
	return s.write(ctx, by, func(t *tx) error {
		if _, err := t.ExecContext(ctx, `DELETE FROM console_totp WHERE username = $1`, username); err != nil {
			return fmt.Errorf("store: enrol %s: %w", username, err)
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO console_totp (username, secret, last_step, recovery, enrolled) VALUES ($1,$2,$3,$4,$5)`,
			username, s.sealer().seal(secret, totpAD(username)), step, strings.Join(recovery, "\n"), micro(s.now())); err != nil {
			return fmt.Errorf("store: enrol %s: %w", username, err)
		}
		t.audit("console.totp.enrol", "user:"+username, nil, map[string]int{"recovery_codes": len(recovery)})
		return nil
	})
}

// UseConsoleTOTPStep claims a time step for a person: false when that
// step or a later one was used already (a replayed code).
func (s *Store) UseConsoleTOTPStep(ctx context.Context, username string, step int64) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE console_totp SET last_step = $1 WHERE username = $2 AND last_step < $1`, step, username)
	if err != nil {
		return false, fmt.Errorf("store: second factor of %s: %w", username, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UseConsoleRecoveryCode spends the recovery code whose SHA-256 is hash:
// false when it is not (or no longer) one of the person's.
func (s *Store) UseConsoleRecoveryCode(ctx context.Context, username, hash string) (bool, error) {
	t, err := s.GetConsoleTOTP(ctx, username)
	if err != nil {
		return false, err
	}
	left := make([]string, 0, len(t.Recovery))
	found := false
	for _, h := range t.Recovery {
		if h == hash && !found {
			found = true
			continue
		}
		left = append(left, h)
	}
	if !found {
		return false, nil
	}
	// Only if nobody spent a code meanwhile: the same code cannot be used
	// twice by two requests at once.
	res, err := s.w.ExecContext(ctx, `UPDATE console_totp SET recovery = $1 WHERE username = $2 AND recovery = $3`,
		strings.Join(left, "\n"), username, strings.Join(t.Recovery, "\n"))
	if err != nil {
		return false, fmt.Errorf("store: recovery code of %s: %w", username, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
