package pages

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFormToken: a token is good for its own action, device, person and
// page until it expires, and for nothing else; changing any part of it
// breaks it.
func TestFormToken(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
	amy := Visitor{Client: netip.MustParseAddr("10.1.2.3"), User: "amy"}
	page := "http://bet.test/spin"
	tok := formToken(key, "request", amy, page, now.Add(TokenLife))
	if exp, _, ok := strings.Cut(tok, "."); !ok || exp != strconv.FormatInt(now.Add(TokenLife).Unix(), 10) {
		t.Fatalf("token %q does not carry its expiry in clear", tok)
	}
	if err := checkFormToken(key, tok, "request", amy, page, now); err != nil {
		t.Fatalf("good token: %v", err)
	}
	// The same device seen as an IPv4-mapped IPv6 address is the same.
	mapped := Visitor{Client: netip.MustParseAddr("::ffff:10.1.2.3"), User: "amy"}
	if err := checkFormToken(key, tok, "request", mapped, page, now); err != nil {
		t.Errorf("mapped address: %v", err)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	exp, sig, _ := strings.Cut(tok, ".")
	later := strconv.FormatInt(now.Add(TokenLife).Unix()+60, 10)
	for _, tc := range []struct {
		what   string
		key    []byte
		tok    string
		action string
		v      Visitor
		page   string
		at     time.Time
		want   error
	}{
		{"no token", key, "", "request", amy, page, now, ErrNoToken},
		{"another device", key, tok, "request", Visitor{Client: netip.MustParseAddr("10.1.2.4"), User: "amy"}, page, now, ErrBadToken},
		{"another person", key, tok, "request", Visitor{Client: amy.Client, User: "ben"}, page, now, ErrBadToken},
		{"nobody logged in", key, tok, "request", Visitor{Client: amy.Client}, page, now, ErrBadToken},
		{"another page", key, tok, "request", amy, "http://bet.test/other", now, ErrBadToken},
		{"another action", key, tok, "continue", amy, page, now, ErrBadToken},
		{"another key", []byte("fedcba9876543210fedcba9876543210"), tok, "request", amy, page, now, ErrBadToken},
		{"expired", key, tok, "request", amy, page, now.Add(TokenLife), ErrExpiredToken},
		{"a later expiry written in", key, later + "." + sig, "request", amy, page, now, ErrBadToken},
		{"a signature changed", key, exp + "." + flip(sig, 5), "request", amy, page, now, ErrBadToken},
		{"a signature cut short", key, exp + "." + sig[:20], "request", amy, page, now, ErrBadToken},
		{"no signature", key, exp, "request", amy, page, now, ErrBadToken},
		{"not base64", key, exp + ".!!!", "request", amy, page, now, ErrBadToken},
		{"not a number", key, "soon." + sig, "request", amy, page, now, ErrBadToken},
	} {
		if err := checkFormToken(tc.key, tc.tok, tc.action, tc.v, tc.page, tc.at); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.what, err, tc.want)
		}
	}
	// An expiry further off than a token's life was not made by us, even
	// with the right key (a clock set back, or a forged life).
	far := formToken(key, "request", amy, page, now.Add(24*time.Hour))
	if err := checkFormToken(key, far, "request", amy, page, now); !errors.Is(err, ErrExpiredToken) {
		t.Errorf("a day-long token: %v", err)
	}
	// Field boundaries count: "ab"+"c" is not "a"+"bc".
	t1 := formToken(key, "request", Visitor{Client: amy.Client, User: "ab"}, "c", now.Add(time.Minute))
	if err := checkFormToken(key, t1, "request", Visitor{Client: amy.Client, User: "a"}, "bc", now); !errors.Is(err, ErrBadToken) {
		t.Errorf("shifted fields: %v", err)
	}
}
