package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// ErrBadHash is returned for a stored hash that does not parse.
var ErrBadHash = errors.New("stored password hash does not parse")

// ErrWeakPassword is returned by CheckPasswordPolicy.
var ErrWeakPassword = errors.New("password too weak")

// HashParams are argon2id's cost parameters. DefaultHashParams are tuned so
// one verification costs well under 20 ms on a 2-core school server
// (BENCHMARKS.md); the parameters are stored in each hash, so they can be
// raised later without invalidating old hashes.
type HashParams struct {
	Time    uint32
	MemKiB  uint32
	Threads uint8
}

// DefaultHashParams: 1 pass over 19 MiB, 1 lane (about 14 ms here). That is
// half OWASP's smallest argon2id setting (2 passes), the price of the issue's
// 20 ms budget; the per-client and per-account rate limits make up for it.
func DefaultHashParams() HashParams { return HashParams{Time: 1, MemKiB: 19 * 1024, Threads: 1} }

const (
	saltLen = 16
	keyLen  = 32
)

// HashPassword returns a PHC-format argon2id hash:
// $argon2id$v=19$m=19456,t=1,p=1$SALT$HASH.
func HashPassword(password string, p HashParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemKiB, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches hash, in constant time.
func VerifyPassword(password, hash string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrBadHash
	}
	var p HashParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemKiB, &p.Time, &p.Threads); err != nil ||
		p.Time == 0 || p.Threads == 0 || p.MemKiB < 8*uint32(p.Threads) || p.MemKiB > 1<<22 {
		return false, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, ErrBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, ErrBadHash
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Minimum password lengths: the policies ask for a secure password for
// everyone from KS2 up; shared KS1 class log-ons may be simpler.
const (
	MinPasswordLen       = 8
	MinSharedPasswordLen = 4
	MaxPasswordLen       = 256
)

// CheckPasswordPolicy enforces the minimum policy: at least
// MinPasswordLen characters (MinSharedPasswordLen for a shared log-on), not
// the username, and not one character repeated.
func CheckPasswordPolicy(username, password string, shared bool) error {
	n := utf8.RuneCountInString(password)
	minLen := MinPasswordLen
	if shared {
		minLen = MinSharedPasswordLen
	}
	switch {
	case n < minLen:
		return fmt.Errorf("%w: at least %d characters", ErrWeakPassword, minLen)
	case len(password) > MaxPasswordLen:
		return fmt.Errorf("%w: at most %d bytes", ErrWeakPassword, MaxPasswordLen)
	case strings.EqualFold(password, username):
		return fmt.Errorf("%w: it is the username", ErrWeakPassword)
	case strings.Count(password, password[:1]) == len(password):
		return fmt.Errorf("%w: one character repeated", ErrWeakPassword)
	}
	return nil
}
