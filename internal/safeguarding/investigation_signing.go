package safeguarding

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// ErrBadSignature: the password or code given to sign is not the
// signer's.
var ErrBadSignature = errors.New("that password or code is not right")

// Verifier checks, at the moment of signing, that the person signing is
// who they say: secret is their password or a current TOTP code. It
// says how ("password" or "totp"); a wrong secret is ErrBadSignature.
type Verifier interface {
	Reconfirm(ctx context.Context, username, secret, address string) (method string, err error)
}

// PasswordChecker checks a password (the store's Directory, with its
// rate limits).
type PasswordChecker interface {
	Authenticate(ctx context.Context, username, password string, client netip.Addr) (*identity.User, error)
}

// TOTPStore holds the console's second factors.
type TOTPStore interface {
	GetConsoleTOTP(ctx context.Context, username string) (store.ConsoleTOTP, error)
	UseConsoleTOTPStep(ctx context.Context, username string, step int64) (bool, error)
}

// Reconfirmer is the Verifier of serve: a six-digit code is tried as the
// person's TOTP code (each time step good once), anything else, or a code
// that does not match, as their password.
type Reconfirmer struct {
	Passwords PasswordChecker
	TOTP      TOTPStore
	Now       func() time.Time
}

var _ Verifier = Reconfirmer{}

// Reconfirm checks secret for username.
func (r Reconfirmer) Reconfirm(ctx context.Context, username, secret, address string) (string, error) {
	if secret == "" {
		return "", ErrBadSignature
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	if code := strings.ReplaceAll(secret, " ", ""); len(code) == 6 && isDigits(code) && r.TOTP != nil {
		t, err := r.TOTP.GetConsoleTOTP(ctx, username)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return "", fmt.Errorf("checking the signature: %w", err)
		default:
			if step, ok := identity.VerifyTOTP(t.Secret, code, now()); ok {
				fresh, err := r.TOTP.UseConsoleTOTPStep(ctx, username, step)
				if err != nil {
					return "", fmt.Errorf("checking the signature: %w", err)
				}
				if fresh {
					return "totp", nil
				}
			}
		}
	}
	addr, _ := netip.ParseAddr(address)
	u, err := r.Passwords.Authenticate(ctx, username, secret, addr)
	switch {
	case errors.Is(err, identity.ErrBadCredentials), errors.Is(err, identity.ErrDisabled):
		return "", ErrBadSignature
	case err != nil:
		return "", fmt.Errorf("checking the signature: %w", err)
	case u.Username != username:
		return "", ErrBadSignature
	}
	return "password", nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
