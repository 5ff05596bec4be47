package identity

import (
	"strings"
	"testing"
	"time"
)

// TestTOTPVectors checks the RFC 6238 appendix B vectors (SHA-1, eight
// digits, the 20-byte ASCII key "12345678901234567890").
func TestTOTPVectors(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, c := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		if got := TOTPCode(key, TOTPStepAt(time.Unix(c.unix, 0)), 8); got != c.want {
			t.Errorf("T=%d: %s, want %s", c.unix, got, c.want)
		}
	}
}

func TestVerifyTOTP(t *testing.T) {
	secret := b32.EncodeToString([]byte("12345678901234567890"))
	now := time.Unix(1111111111, 0)
	code, err := TOTPCodeAt(secret, now)
	if err != nil || code != "050471" { // the vector's last six digits
		t.Fatalf("code %q %v", code, err)
	}
	step, ok := VerifyTOTP(secret, code, now.Add(25*time.Second))
	if !ok || step != TOTPStepAt(now) {
		t.Errorf("one step of drift refused (%d %v)", step, ok)
	}
	if _, ok := VerifyTOTP(secret, code, now.Add(2*time.Minute)); ok {
		t.Error("a code four steps old accepted")
	}
	for _, bad := range []string{"", "12345", "abcdef", "0504711"} {
		if _, ok := VerifyTOTP(secret, bad, now); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if s := NewTOTPSecret(); len(s) != 32 || s == NewTOTPSecret() {
		t.Errorf("secret %q", s)
	}
	if u := TOTPURI("Oak School", "jdoe", "ABC"); !strings.HasPrefix(u, "otpauth://totp/Oak%20School:jdoe?") || !strings.Contains(u, "secret=ABC") {
		t.Errorf("uri %s", u)
	}
}
