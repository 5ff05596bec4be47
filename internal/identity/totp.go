package identity

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP (RFC 6238): a six-digit code from HMAC-SHA1 over the number of
// 30-second steps since the Unix epoch, for the console's second factor.
const (
	TOTPStep   = 30 * time.Second
	TOTPDigits = 6
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret is a random 160-bit secret, base32 as authenticator apps
// take it.
func NewTOTPSecret() string {
	b := make([]byte, 20)
	rand.Read(b)
	return b32.EncodeToString(b)
}

// TOTPStepAt is the time step t falls in.
func TOTPStepAt(t time.Time) int64 { return t.Unix() / int64(TOTPStep/time.Second) }

// TOTPCode is the code for a raw key at a step, with digits digits.
func TOTPCode(key []byte, step int64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

// VerifyTOTP checks a code against a base32 secret at now, allowing one
// step of clock drift either way. It returns the step matched, so the
// caller can refuse that step (or an earlier one) next time: a code is
// good once.
func VerifyTOTP(secret, code string, now time.Time) (int64, bool) {
	key, err := b32.DecodeString(strings.ToUpper(strings.TrimSpace(secret)))
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if err != nil || len(code) != TOTPDigits {
		return 0, false
	}
	cur := TOTPStepAt(now)
	for _, s := range []int64{cur, cur - 1, cur + 1} {
		if subtle.ConstantTimeCompare([]byte(TOTPCode(key, s, TOTPDigits)), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// TOTPCodeAt is the current code of a base32 secret (tests and tools).
func TOTPCodeAt(secret string, now time.Time) (string, error) {
	key, err := b32.DecodeString(strings.ToUpper(secret))
	if err != nil {
		return "", fmt.Errorf("totp secret: %w", err)
	}
	return TOTPCode(key, TOTPStepAt(now), TOTPDigits), nil
}

// TOTPURI is the otpauth:// URI an authenticator app reads.
func TOTPURI(issuer, account, secret string) string {
	label := url.PathEscape(issuer + ":" + account)
	q := url.Values{"secret": {secret}, "issuer": {issuer}, "digits": {"6"}, "period": {"30"}, "algorithm": {"SHA1"}}
	return "otpauth://totp/" + label + "?" + q.Encode()
}
