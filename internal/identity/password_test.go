package identity

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHashAndVerify(t *testing.T) {
	h, err := HashPassword("correct horse", DefaultHashParams())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := HashPassword("correct horse", DefaultHashParams())
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct horsE": false, "": false} {
		if ok, err := VerifyPassword(pw, h); err != nil || ok != want {
			t.Errorf("verify %q = %v, %v", pw, ok, err)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=8,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=64,t=1,p=1$!!$AAAA"} {
		if _, err := VerifyPassword("x", bad); !errors.Is(err, ErrBadHash) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	for _, c := range []struct {
		pw     string
		shared bool
		ok     bool
	}{
		{"correct horse", false, true}, {"short", false, false}, {"aaaaaaaaaa", false, false},
		{"amy.smith", false, false}, {"cat1", true, true}, {"cat", true, false},
	} {
		err := CheckPasswordPolicy("amy.smith", c.pw, c.shared)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrWeakPassword)) {
			t.Errorf("%q shared=%v: %v", c.pw, c.shared, err)
		}
	}
}

func TestFailureLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := NewFailureLimiter(3, time.Minute, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if b, _ := l.Blocked("k"); b {
			t.Fatalf("blocked after %d failures", i)
		}
		l.Fail("k")
	}
	if b, wait := l.Blocked("k"); !b || wait != time.Minute {
		t.Fatalf("not blocked after 3 failures (%v)", wait)
	}
	if b, _ := l.Blocked("other"); b {
		t.Fatal("another key blocked")
	}
	now = now.Add(time.Minute)
	if b, _ := l.Blocked("k"); b {
		t.Fatal("still blocked after the window")
	}
	l.Fail("k")
	l.Reset("k")
	if b, _ := l.Blocked("k"); b {
		t.Fatal("blocked after reset")
	}
}

// BenchmarkVerifyPassword is the cost of one log-in check (the issue's
// budget: 20 ms).
func BenchmarkVerifyPassword(b *testing.B) {
	h, _ := HashPassword("correct horse", DefaultHashParams())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ok, _ := VerifyPassword("correct horse", h); !ok {
			b.Fatal("no match")
		}
	}
}
